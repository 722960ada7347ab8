"""vmact.policies.jobs: readers read and list, members cancel, admin any."""

from tests.unit import base
from tests.unit import test_policy
from vmact.policies import base as policies_base
from vmact.policies import jobs

ctx = test_policy.ctx
allowed = test_policy.allowed


class JobRulesTest(base.TestCase):

    def rules(self):
        return {rule.name: rule for rule in jobs.list_rules()}

    def test_names_and_defaults(self):
        self.assertEqual(
            {jobs.SHOW: policies_base.ADMIN_OR_PROJECT_READER,
             jobs.LIST: policies_base.ADMIN_OR_PROJECT_READER,
             jobs.CANCEL: policies_base.ADMIN_OR_PROJECT_MEMBER},
            {name: rule.check_str for name, rule in self.rules().items()})
        self.assertEqual({'vmact:jobs:show', 'vmact:jobs:list',
                          'vmact:jobs:cancel'}, set(self.rules()))

    def test_every_rule_is_documented_with_its_operation(self):
        methods = {name: [op['method'] for op in rule.operations]
                   for name, rule in self.rules().items()}
        self.assertEqual({jobs.SHOW: ['GET'], jobs.LIST: ['GET'],
                          jobs.CANCEL: ['DELETE']}, methods)
        for rule in jobs.list_rules():
            self.assertTrue(rule.description.strip(), rule.name)

    def test_reader_reads_and_lists_but_does_not_cancel(self):
        reader = ctx(roles=('reader',))
        self.assertTrue(allowed(reader, jobs.SHOW))
        self.assertTrue(allowed(reader, jobs.LIST))
        self.assertFalse(allowed(reader, jobs.CANCEL))

    def test_member_does_all_three_on_its_tenant_only(self):
        for rule in (jobs.SHOW, jobs.LIST, jobs.CANCEL):
            self.assertTrue(allowed(ctx(), rule), rule)
            self.assertFalse(allowed(ctx(project='p2'), rule), rule)

    def test_admin_does_all_three_on_any_tenant(self):
        admin = ctx(project='admin', roles=('admin',))
        for rule in (jobs.SHOW, jobs.LIST, jobs.CANCEL):
            self.assertTrue(allowed(admin, rule, tenant='p9'), rule)

    def test_no_role_may_do_nothing(self):
        for rule in (jobs.SHOW, jobs.LIST, jobs.CANCEL):
            self.assertFalse(allowed(ctx(roles=()), rule), rule)
