"""vmact.policies.vm_act: one documented rule per action and the read."""

from tests.unit import base
from vmact.api import app
from vmact.policies import base as policies_base
from vmact.policies import vm_act


class VmActRulesTest(base.TestCase):

    def rules(self):
        return {rule.name: rule for rule in vm_act.list_rules()}

    def test_every_rule_the_app_checks_is_listed(self):
        used = set(app.RULE_BY_ACTION.values()) | {vm_act.SHOW}
        self.assertEqual(used, set(self.rules()))

    def test_names_are_prefixed(self):
        self.assertEqual(
            {'vmact:vm_act:start', 'vmact:vm_act:stop',
             'vmact:vm_act:reboot', 'vmact:vm_act:show'}, set(self.rules()))

    def test_actions_need_a_member_the_read_a_reader(self):
        rules = self.rules()
        for name in (vm_act.START, vm_act.STOP, vm_act.REBOOT):
            self.assertEqual(policies_base.ADMIN_OR_PROJECT_MEMBER,
                             rules[name].check_str, name)
        self.assertEqual(policies_base.ADMIN_OR_PROJECT_READER,
                         rules[vm_act.SHOW].check_str)

    def test_every_rule_is_documented_with_its_operations(self):
        for rule in vm_act.list_rules():
            self.assertTrue(rule.description.strip(), rule.name)
            self.assertNotEqual([], rule.operations, rule.name)
        self.assertEqual(['GET'], [op['method'] for op in
                                   self.rules()[vm_act.SHOW].operations])
