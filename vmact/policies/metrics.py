"""The rule for reading the Prometheus metrics (``GET /metrics``).

The metrics count every tenant's requests together, so the default is
the admin role; give a monitoring role instead with a policy override,
e.g. ``"vmact:metrics:read": "role:admin or role:monitoring"``.
"""

from oslo_policy import policy

from vmact.policies import base

READ = 'vmact:metrics:read'

rules = [
    policy.DocumentedRuleDefault(
        READ, base.ADMIN,
        'Read the Prometheus metrics of the service (all tenants).',
        [{'method': 'GET', 'path': '/metrics'}]),
]


def list_rules():
    return rules
