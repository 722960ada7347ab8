"""vmact.policies.base: the rule aliases the action rules build on."""

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from tests.unit import base
from vmact.policies import base as policies_base


class BaseRulesTest(base.TestCase):

    def enforcer(self):
        conf = cfg.ConfigOpts()
        conf([], default_config_files=[])
        enforcer = oslo_policy.Enforcer(conf)
        enforcer.register_defaults(policies_base.list_rules())
        return enforcer

    def allowed(self, rule, roles, project, tenant='p1'):
        return self.enforcer().enforce(
            rule, {'tenant_id': tenant},
            {'roles': list(roles), 'project_id': project})

    def test_aliases_name_the_listed_rules(self):
        self.assertEqual(
            ['rule:' + r.name for r in policies_base.list_rules()],
            [policies_base.ADMIN_OR_PROJECT_MEMBER,
             policies_base.ADMIN_OR_PROJECT_READER])
        for rule in policies_base.list_rules():
            self.assertTrue(rule.description.strip(), rule.name)

    def test_member_rule(self):
        rule = 'admin_or_project_member'
        self.assertTrue(self.allowed(rule, ['member'], 'p1'))
        self.assertTrue(self.allowed(rule, ['admin'], 'other'))
        self.assertFalse(self.allowed(rule, ['member'], 'other'))
        self.assertFalse(self.allowed(rule, ['reader'], 'p1'))

    def test_reader_rule_also_lets_members_in(self):
        rule = 'admin_or_project_reader'
        self.assertTrue(self.allowed(rule, ['reader'], 'p1'))
        self.assertTrue(self.allowed(rule, ['member'], 'p1'))
        self.assertTrue(self.allowed(rule, ['admin'], 'other'))
        self.assertFalse(self.allowed(rule, ['reader'], 'other'))
        self.assertFalse(self.allowed(rule, [], 'p1'))
