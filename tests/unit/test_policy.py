"""Policy defaults: admin, or a member of tenant_id acts; readers read."""

import os

import fixtures
from requests_mock.contrib import fixture as requests_mock_fixture

from tests.unit import base
from vmact import context
from vmact import exception
from vmact.policies import vm_act
from vmact import policy

ACT_RULES = (vm_act.START, vm_act.STOP, vm_act.REBOOT)


def ctx(project='p1', roles=('member', 'reader')):
    return context.RequestContext(user_id='u', project_id=project,
                                  roles=list(roles))


def allowed(context_, rule, tenant='p1'):
    """True when policy lets ``context_`` apply ``rule`` to ``tenant``."""
    try:
        policy.authorize(context_, rule, tenant)
    except exception.Forbidden:
        return False
    return True


class PolicyDefaultsTest(base.TestCase):

    def test_member_of_the_tenant_may_act_and_read(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertTrue(allowed(ctx(), rule), rule)

    def test_member_of_another_project_may_not(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertFalse(allowed(ctx(project='p2'), rule), rule)

    def test_reader_reads_but_does_not_act(self):
        reader = ctx(roles=['reader'])
        self.assertTrue(allowed(reader, vm_act.SHOW))
        for rule in ACT_RULES:
            self.assertFalse(allowed(reader, rule), rule)

    def test_admin_acts_for_any_project(self):
        admin = ctx(project='admin-project', roles=['admin'])
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertTrue(allowed(admin, rule, tenant='p2'), rule)

    def test_no_role_no_access(self):
        for rule in ACT_RULES + (vm_act.SHOW,):
            self.assertFalse(allowed(ctx(roles=[]), rule), rule)

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
        self.assertFalse(allowed(ctx(), vm_act.STOP))
        self.assertTrue(allowed(ctx(), vm_act.START))


class PolicyMemoTest(base.TestCase):
    """Decisions are memoized per rule set; file edits count within 1 s."""

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'policy.yaml')
        self.write_policy('{}\n')
        self.flags(group='oslo_policy', policy_file=self.path)
        enforcer = policy.get_enforcer()
        self.enforce = self.useFixture(fixtures.MockPatchObject(
            enforcer, 'enforce', wraps=enforcer.enforce)).mock
        self.load_rules = self.useFixture(fixtures.MockPatchObject(
            enforcer, 'load_rules', wraps=enforcer.load_rules)).mock
        self.now = 1000.0
        policy.get_memo().clock = lambda: self.now

    def write_policy(self, text):
        """Write the policy file with a newer mtime than any before."""
        with open(self.path, 'w') as f:
            f.write(text)
        stamp = getattr(self, 'stamp', 1.0e9) + 10
        os.utime(self.path, (stamp, stamp))
        self.stamp = stamp

    def test_a_repeated_decision_is_asked_once_allow_or_deny(self):
        for _ in range(3):
            self.assertTrue(allowed(ctx(), vm_act.SHOW))
            self.assertFalse(allowed(ctx(project='p2'), vm_act.SHOW))
        self.assertEqual(2, self.enforce.call_count)

    def test_tenant_roles_and_rule_each_make_their_own_decision(self):
        cases = [
            (ctx(), vm_act.STOP, 'p1', True),
            (ctx(), vm_act.STOP, 'p2', False),
            (ctx(roles=['reader']), vm_act.STOP, 'p1', False),
            (ctx(roles=['reader']), vm_act.SHOW, 'p1', True),
            (ctx(roles=[]), vm_act.SHOW, 'p1', False),
            (ctx(project='p2'), vm_act.SHOW, 'p1', False),
        ]
        for _ in range(2):
            for context_, rule, tenant, expected in cases:
                self.assertEqual(expected,
                                 allowed(context_, rule, tenant),
                                 (context_.roles, rule, tenant))
        self.assertEqual(len(cases), self.enforce.call_count)

    def test_a_policy_file_edit_counts_within_the_reload_interval(self):
        self.assertTrue(allowed(ctx(), vm_act.STOP))
        loads = self.load_rules.call_count
        self.write_policy('"vmact:vm_act:stop": "role:admin"\n')
        self.now += policy.RELOAD_INTERVAL / 2
        for _ in range(5):
            allowed(ctx(), vm_act.STOP)
        self.assertEqual(loads, self.load_rules.call_count)
        self.now += policy.RELOAD_INTERVAL / 2
        self.assertFalse(allowed(ctx(), vm_act.STOP))
        self.write_policy('{}\n')
        self.now += policy.RELOAD_INTERVAL
        self.assertTrue(allowed(ctx(), vm_act.STOP))
        self.assertEqual(3, self.enforce.call_count)

    def test_the_memo_is_bounded(self):
        self.useFixture(fixtures.MockPatchObject(policy, 'MEMO_SIZE', 3))
        admin = ctx(project='admin-project', roles=['admin'])
        for n in range(10):
            self.assertTrue(allowed(admin, vm_act.SHOW, 't%d' % n))
            self.assertLessEqual(len(policy.get_memo().current[1]), 3)
        self.assertEqual(10, self.enforce.call_count)
        self.assertTrue(allowed(admin, vm_act.SHOW, 't9'))
        self.assertEqual(10, self.enforce.call_count)

    def test_remote_checks_are_asked_every_time(self):
        remote = self.useFixture(requests_mock_fixture.Fixture())
        checks = remote.post('http://policy.test/check', text='True')
        self.write_policy(
            '"vmact:vm_act:show": "http://policy.test/check"\n')
        self.now += policy.RELOAD_INTERVAL
        for _ in range(3):
            self.assertTrue(allowed(ctx(), vm_act.SHOW))
            self.assertTrue(allowed(ctx(), vm_act.STOP))
        self.assertEqual(3, checks.call_count)
        self.assertEqual(6, self.enforce.call_count)
        self.write_policy('"vmact:vm_act:show": "role:reader"\n')
        self.now += policy.RELOAD_INTERVAL
        for _ in range(3):
            self.assertTrue(allowed(ctx(), vm_act.SHOW))
        self.assertEqual(7, self.enforce.call_count)
        self.assertEqual(3, checks.call_count)
