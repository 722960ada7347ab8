"""vmact.policies.list_rules: every default, for oslo.policy's tools."""

from tests.unit import base
from vmact import policies
from vmact.policies import base as policies_base
from vmact.policies import jobs
from vmact.policies import metrics
from vmact.policies import vm_act


class ListRulesTest(base.TestCase):

    def test_lists_the_aliases_and_the_action_rules_once_each(self):
        names = [rule.name for rule in policies.list_rules()]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(
            {r.name for r in policies_base.list_rules()}
            | {r.name for r in vm_act.list_rules()}
            | {r.name for r in jobs.list_rules()}
            | {r.name for r in metrics.list_rules()}, set(names))

    def test_every_rule_reference_is_defined(self):
        names = {rule.name for rule in policies.list_rules()}
        for rule in policies.list_rules():
            for word in rule.check_str.replace('(', ' ').split():
                if word.startswith('rule:'):
                    self.assertIn(word[len('rule:'):], names, rule.name)
