"""Policy enforcement with oslo.policy, defaults from vmact.policies.

Decisions are memoized per loaded rule set, keyed by the rule, the target
tenant and the credentials' policy values; the memo holds at most
``MEMO_SIZE`` decisions and is cleared when full. The policy file and
``policy_dirs`` are checked for changes at most once per
``RELOAD_INTERVAL`` (1 s): an edit takes effect within about a second,
and every decision of the old rules, allow or deny, is dropped with them.
No decision is memoized while any rule makes a remote (``http:`` or
``https:``) check: those are asked of oslo.policy every time.
"""

import time

from oslo_config import cfg
from oslo_policy import policy

from vmact import exception
from vmact import policies

#: Seconds between two checks of the policy files for changes.
RELOAD_INTERVAL = 1.0
#: Most decisions memoized at once.
MEMO_SIZE = 4096

_ENFORCER = None
_MEMO = None


def get_enforcer(conf=None):
    """The process's enforcer, built once (also oslopolicy's entry point)."""
    global _ENFORCER
    if _ENFORCER is None:
        conf = conf or cfg.CONF
        _ENFORCER = policy.Enforcer(conf)
        _ENFORCER.register_defaults(policies.list_rules())
    return _ENFORCER


def reset():
    """Forget the enforcer and its memoized decisions."""
    global _ENFORCER, _MEMO
    _ENFORCER = _MEMO = None


def get_memo():
    """The memo of the process's enforcer."""
    global _MEMO
    memo, enforcer = _MEMO, get_enforcer()
    if memo is None or memo.enforcer is not enforcer:
        memo = _MEMO = DecisionMemo(enforcer)
    return memo


def authorize(context, rule, tenant_id):
    """Raise Forbidden unless ``context`` may apply ``rule`` to tenant_id."""
    if not get_memo().allowed(context, rule, tenant_id):
        raise exception.Forbidden(
            'Policy does not allow %s on tenant %s.'
            % (rule, exception.quote(tenant_id)))


class DecisionMemo:
    """An enforcer's decisions, memoized per loaded rule set."""

    def __init__(self, enforcer, clock=time.monotonic):
        self.enforcer = enforcer
        self.clock = clock
        self.next_load = None
        # (the Rules object, its decisions or None when not memoizable),
        # replaced whole so that threads never mix two rule sets.
        self.current = (None, None)

    def allowed(self, context, rule, tenant_id):
        """Whether ``rule`` allows ``context`` on ``tenant_id``."""
        now = self.clock()
        if self.next_load is None or now >= self.next_load:
            self.enforcer.load_rules()
            self.next_load = now + RELOAD_INTERVAL
        rules = self.enforcer.rules
        loaded, decisions = self.current
        if loaded is not rules:
            decisions = {} if not _has_remote_check(rules) else None
            self.current = (rules, decisions)
        if decisions is None:
            return self._enforce(context, rule, tenant_id)
        key = (rule, tenant_id, _frozen(context.to_policy_values()))
        found = decisions.get(key)
        if found is None:
            found = self._enforce(context, rule, tenant_id)
            if len(decisions) >= MEMO_SIZE:
                decisions.clear()
            decisions[key] = found
        return found

    def _enforce(self, context, rule, tenant_id):
        target = {'tenant_id': tenant_id, 'project_id': tenant_id}
        return bool(self.enforcer.enforce(rule, target, context))


def _has_remote_check(rules):
    return any('http:' in text or 'https:' in text
               for text in map(str, rules.values()))


def _frozen(values):
    """The policy values as a key (lists as tuples)."""
    return tuple((name, tuple(value) if isinstance(value, list) else value)
                 for name, value in values.items())
