"""Policy defaults: admin, or a member of tenant_id acts; readers read."""

import os

import fixtures

from tests.unit import base
from vmact import context
from vmact import exception
from vmact.policies import vm_act
from vmact import policy

ACT_RULES = (vm_act.START, vm_act.STOP, vm_act.REBOOT)


def ctx(project='p1', roles=('member', 'reader')):
    return context.RequestContext(user_id='u', project_id=project,
                                  roles=list(roles))


class PolicyDefaultsTest(base.TestCase):

    def allowed(self, context_, rule, tenant='p1'):
        try:
            policy.authorize(context_, rule, tenant)
        except exception.Forbidden:
            return False
        return True

    def test_member_of_the_tenant_may_act_and_read(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertTrue(self.allowed(ctx(), rule), rule)

    def test_member_of_another_project_may_not(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertFalse(self.allowed(ctx(project='p2'), rule), rule)

    def test_reader_reads_but_does_not_act(self):
        reader = ctx(roles=['reader'])
        self.assertTrue(self.allowed(reader, vm_act.SHOW))
        for rule in ACT_RULES:
            self.assertFalse(self.allowed(reader, rule), rule)

    def test_admin_acts_for_any_project(self):
        admin = ctx(project='admin-project', roles=['admin'])
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertTrue(self.allowed(admin, rule, tenant='p2'), rule)

    def test_no_role_no_access(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertFalse(self.allowed(ctx(roles=[]), rule), rule)

    def test_forbidden_names_rule_and_tenant(self):
        error = self.assertRaises(exception.Forbidden, policy.authorize,
                                  ctx(project='p2'), vm_act.STOP, 'p1')
        self.assertEqual(403, error.code)
        self.assertIn('vmact:vm_act:stop', error.msg)
        self.assertIn('"p1"', error.msg)

    def test_operator_policy_file_overrides_a_default(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'policy.yaml')
        with open(path, 'w') as f:
            f.write('"vmact:vm_act:stop": "role:admin"\n')
        self.flags(group='oslo_policy', policy_file=path)
        policy.reset()
        self.assertFalse(self.allowed(ctx(), vm_act.STOP))
        self.assertTrue(self.allowed(ctx(), vm_act.START))
