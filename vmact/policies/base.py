"""Rule aliases shared by vmact's policies."""

from oslo_policy import policy

ADMIN = 'role:admin'
PROJECT_MEMBER = 'role:member and project_id:%(tenant_id)s'
PROJECT_READER = 'role:reader and project_id:%(tenant_id)s'

ADMIN_OR_PROJECT_MEMBER = 'rule:admin_or_project_member'
ADMIN_OR_PROJECT_READER = 'rule:admin_or_project_reader'

rules = [
    policy.RuleDefault(
        'admin_or_project_member',
        '%s or (%s)' % (ADMIN, PROJECT_MEMBER),
        description='An admin, or a member of the project that owns the '
                    'servers (the request\'s tenant_id).'),
    policy.RuleDefault(
        'admin_or_project_reader',
        '%s or (%s) or (%s)' % (ADMIN, PROJECT_READER, PROJECT_MEMBER),
        description='An admin, or a reader or member of the project that '
                    'owns the servers.'),
]


def list_rules():
    return rules
