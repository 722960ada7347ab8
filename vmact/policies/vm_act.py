"""One rule per action, and one for the status read.

doc/source/api-rules.rst, "Tenant isolation and ownership", lists the
defaults.
"""

from oslo_policy import policy

from vmact.policies import base

PREFIX = 'vmact:vm_act:%s'
START = PREFIX % 'start'
STOP = PREFIX % 'stop'
REBOOT = PREFIX % 'reboot'
SHOW = PREFIX % 'show'

PATHS = [{'method': 'POST', 'path': '/mana_api/vm_act'},
         {'method': 'POST', 'path': '/mana_api/vm_act/{tenant_id}/{region}'},
         {'method': 'POST',
          'path': '/mana_api/vm_act/{tenant_id}/{region}/{server_id}'}]

rules = [
    policy.DocumentedRuleDefault(
        START, base.ADMIN_OR_PROJECT_MEMBER,
        'Power on servers of tenant_id (os-start).', PATHS),
    policy.DocumentedRuleDefault(
        STOP, base.ADMIN_OR_PROJECT_MEMBER,
        'Power off servers of tenant_id (os-stop).', PATHS),
    policy.DocumentedRuleDefault(
        REBOOT, base.ADMIN_OR_PROJECT_MEMBER,
        'Reboot servers of tenant_id (reboot, HARD or SOFT).', PATHS),
    policy.DocumentedRuleDefault(
        SHOW, base.ADMIN_OR_PROJECT_READER,
        'Read the state of servers of tenant_id.',
        [{'method': 'GET',
          'path': '/mana_api/vm_act/{tenant_id}/{region}?servers={ids}'}]),
]


def list_rules():
    return rules
