"""The dry run's generic state rules (vmact.backends.plan)."""

from oslotest import base as oslotest_base

from vmact.backends import base
from vmact.backends import plan

START = base.Action(base.START)
STOP = base.Action(base.STOP)
SOFT = base.Action(base.REBOOT, base.SOFT)
HARD = base.Action(base.REBOOT, base.HARD)


def shown(status, task_state=None, server='vm'):
    return base.Outcome(server, 200, state=base.ServerState(status,
                                                            task_state))


class GenericRulesTest(oslotest_base.BaseTestCase):

    def plans(self, action, *statuses):
        return [plan.generic(action, shown(s)).plan for s in statuses]

    def test_allowed_statuses_per_action(self):
        statuses = ('ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED', 'ERROR',
                    'RESCUE', 'SHELVED', 'BUILD')
        allowed = {START: {'SHUTOFF'}, STOP: {'ACTIVE', 'ERROR'},
                   SOFT: {'ACTIVE'},
                   HARD: {'ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED',
                          'ERROR'}}
        for action, ok in allowed.items():
            self.assertEqual(
                ['act' if s in ok else 'fail' for s in statuses],
                self.plans(action, *statuses), action)

    def test_refusal_names_the_vm_state_in_novas_words(self):
        result = plan.generic(START, shown('ACTIVE', server='abc'))
        self.assertEqual((plan.FAIL, 409, "Cannot 'start' instance abc "
                          "while it is in vm_state active"),
                         (result.plan, result.code, result.msg))
        result = plan.generic(STOP, shown('SHUTOFF'))
        self.assertIn('vm_state stopped', result.msg)

    def test_a_task_in_progress_fails_except_for_hard_reboot(self):
        busy = shown('REBOOT', 'rebooting')
        self.assertEqual("Cannot 'reboot' instance vm while it is in "
                         "task_state rebooting",
                         plan.generic(SOFT, busy).msg)
        self.assertEqual(plan.ACT, plan.generic(HARD, busy).plan)
        self.assertEqual(plan.FAIL, plan.generic(
            HARD, shown('ACTIVE', 'powering-off')).plan)
        # A task's status stands for vm_state active, checked first.
        self.assertIn('vm_state active',
                      plan.generic(START, shown('REBOOT', 'rebooting')).msg)

    def test_only_if_needed_skips_a_settled_server(self):
        action = base.Action(base.START, only_if_needed=True)
        result = plan.generic(action, shown('ACTIVE'))
        self.assertEqual((plan.SKIP, 200, 'already ACTIVE'),
                         (result.plan, result.code, result.msg))
        self.assertEqual(plan.FAIL, plan.generic(
            action, shown('ACTIVE', 'powering-off')).plan)

    def test_a_failed_read_is_the_plans_failure(self):
        result = plan.generic(STOP, base.Outcome('x', 404, 'Instance x '
                                                 'could not be found.'))
        self.assertEqual({'id': 'x', 'status': None, 'task_state': None,
                          'plan': 'fail', 'code': 404,
                          'msg': 'Instance x could not be found.'},
                         result.as_dict())

    def test_lock_comes_after_only_if_needed_and_before_the_state(self):
        self.assertEqual('Instance vm is locked', plan.decide(
            START, 'vm', 'ACTIVE', None, 'active', locked=True).msg)
        self.assertEqual(plan.SKIP, plan.decide(
            base.Action(base.START, only_if_needed=True), 'vm', 'ACTIVE',
            None, 'active', locked=True).plan)

    def test_soft_first_plans_as_hard(self):
        action = base.Action(base.REBOOT, 'SOFT_FIRST')
        self.assertEqual(plan.ACT, plan.generic(action, shown('SHUTOFF')).plan)

    def test_default_backend_plan_reads_with_show(self):
        class Shown(base.Backend):
            def show(self, context, target):
                return [shown('SHUTOFF', server=s) for s in target.servers]

            def act(self, context, target, action):
                raise AssertionError('a dry run sent an action')

        backend = Shown.__new__(Shown)
        plans = backend.plan(None, base.Target('t', 'r', ('a', 'b')), START)
        self.assertEqual([('a', 'act'), ('b', 'act')],
                         [(p.server, p.plan) for p in plans])
