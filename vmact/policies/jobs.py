"""Rules for the jobs API: read a job, list a tenant's jobs, cancel one.

The target's ``tenant_id`` is the job's (for a list, the tenant listed).
doc/source/api-rules.rst, "Jobs", lists the defaults.
"""

from oslo_policy import policy

from vmact.policies import base

PREFIX = 'vmact:jobs:%s'
SHOW = PREFIX % 'show'
LIST = PREFIX % 'list'
CANCEL = PREFIX % 'cancel'

rules = [
    policy.DocumentedRuleDefault(
        SHOW, base.ADMIN_OR_PROJECT_READER,
        'Read a job of tenant_id and its servers\' states.',
        [{'method': 'GET', 'path': '/mana_api/jobs/{job_id}'}]),
    policy.DocumentedRuleDefault(
        LIST, base.ADMIN_OR_PROJECT_READER,
        'List the jobs of tenant_id.',
        [{'method': 'GET', 'path': '/mana_api/jobs?tenant_id={tenant_id}'}]),
    policy.DocumentedRuleDefault(
        CANCEL, base.ADMIN_OR_PROJECT_MEMBER,
        'Cancel a job of tenant_id: its servers not yet sent are not sent.',
        [{'method': 'DELETE', 'path': '/mana_api/jobs/{job_id}'}]),
]


def list_rules():
    return rules
