"""Policy enforcement with oslo.policy, defaults from vmact.policies."""

from oslo_config import cfg
from oslo_policy import policy

from vmact import exception
from vmact import policies

_ENFORCER = None


def get_enforcer(conf=None):
    """The process's enforcer, built once (also oslopolicy's entry point)."""
    global _ENFORCER
    if _ENFORCER is None:
        conf = conf or cfg.CONF
        _ENFORCER = policy.Enforcer(conf)
        _ENFORCER.register_defaults(policies.list_rules())
    return _ENFORCER


def reset():
    global _ENFORCER
    _ENFORCER = None


def authorize(context, rule, tenant_id):
    """Raise Forbidden unless ``context`` may apply ``rule`` to tenant_id."""
    target = {'tenant_id': tenant_id, 'project_id': tenant_id}
    if not get_enforcer().enforce(rule, target, context):
        raise exception.Forbidden(
            'Policy does not allow %s on tenant %s.'
            % (rule, exception.quote(tenant_id)))
