"""A dry run on the nova driver: Nova's own rules, no action sent."""

from tests.unit.backends import test_nova
from tests.unit.backends import test_nova_select
from vmact.backends import base

TENANT = test_nova.TENANT
START, STOP = test_nova.START, test_nova.STOP
SOFT, HARD = test_nova.SOFT, test_nova.HARD


def nova_server(server_id, vm_state='active', task_state=None,
                locked=False, tenant_id=TENANT):
    status = {'active': 'ACTIVE', 'stopped': 'SHUTOFF', 'error': 'ERROR',
              'paused': 'PAUSED', 'rescued': 'RESCUE'}[vm_state]
    body = test_nova.server_body(server_id, tenant_id, status, task_state)
    body['server'].update({'OS-EXT-STS:vm_state': vm_state,
                           'locked': locked})
    return body


class PlanCases(object):

    def plan(self, action, *servers, ctx=None):
        return self.backend().plan(ctx or self.user_context(),
                                   self.target(*servers), action)

    def summary(self, plans):
        return {p.server: (p.plan, p.code, p.msg) for p in plans}

    def test_novas_tables_and_words_and_no_post(self):
        for server, vm_state, task in (('on', 'active', None),
                                       ('off', 'stopped', None),
                                       ('err', 'error', None),
                                       ('busy', 'active', 'rebooting'),
                                       ('resc', 'rescued', None)):
            self.on_get(server, json=nova_server(server, vm_state, task))
        servers = ('on', 'off', 'err', 'busy', 'resc')
        expected = {
            START: {'off': 'act'}, STOP: {'on': 'act', 'err': 'act'},
            SOFT: {'on': 'act'},
            HARD: {'on': 'act', 'off': 'act', 'err': 'act', 'busy': 'act'},
        }
        for action, acted in expected.items():
            got = {p.server: p.plan for p in self.plan(action, *servers)}
            self.assertEqual({s: acted.get(s, 'fail') for s in servers},
                             got, action)
        plans = self.summary(self.plan(START, 'on', 'busy'))
        self.assertEqual(('fail', 409, "Cannot 'start' instance on while it "
                          "is in vm_state active"), plans['on'])
        plans = self.summary(self.plan(STOP, 'busy', 'resc'))
        self.assertEqual(("Cannot 'stop' instance busy while it is in "
                          "task_state rebooting"), plans['busy'][2])
        self.assertEqual(("Cannot 'stop' instance resc while it is in "
                          "vm_state rescued"), plans['resc'][2])
        self.assertEqual([], self.calls('POST', 'nova-one.test'))

    def test_read_asks_for_locked_at_2_9_or_more(self):
        self.on_get('on', json=nova_server('on'))
        self.plan(STOP, 'on')
        call = self.calls('GET', 'nova-one.test')[0]
        self.assertEqual('2.9', call.headers['X-OpenStack-Nova-API-Version'])

    def test_only_if_needed_is_a_skip_before_the_lock(self):
        self.on_get('off', json=nova_server('off', 'stopped', locked=True))
        plans = self.summary(self.plan(
            base.Action(base.STOP, only_if_needed=True), 'off'))
        self.assertEqual(('skip', 200, 'already SHUTOFF'), plans['off'])

    def test_missing_server_is_404_in_novas_words(self):
        self.on_get('gone', status_code=404, json=test_nova.nova_error(
            404, 'Instance gone could not be found.'))
        self.assertEqual(('fail', 404, 'Instance gone could not be found.'),
                         self.summary(self.plan(STOP, 'gone'))['gone'])


class TokenModePlanTest(PlanCases, test_nova.NovaTestCase):

    def test_locked_is_409_unless_admin(self):
        self.on_get('lk', json=nova_server('lk', locked=True))
        self.assertEqual(('fail', 409, 'Instance lk is locked'),
                         self.summary(self.plan(STOP, 'lk'))['lk'])
        admin = self.user_context(roles=('admin',))
        self.assertEqual('act', self.plan(STOP, 'lk', ctx=admin)[0].plan)

    def test_foreign_server_is_404_for_a_cross_project_caller(self):
        self.on_get('theirs', json=nova_server(
            'theirs', tenant_id=test_nova.OTHER_TENANT))
        admin = self.user_context(roles=('admin',))
        plan = self.plan(STOP, 'theirs', ctx=admin)[0]
        self.assertEqual(('fail', 404), (plan.plan, plan.code))

    def test_other_spellings_of_one_server_are_read_once(self):
        upper = '7B2E4F6A-0C1D-4E5F-8A9B-0C1D2E3F4A5B'
        self.on_get(upper.lower(), json=nova_server(upper.lower()))
        plans = self.plan(STOP, upper.lower(), upper)
        self.assertEqual(['act', 'skip'], [p.plan for p in plans])
        self.assertEqual(1, len(self.calls('GET', 'nova-one.test')))


class ServiceModePlanTest(PlanCases, test_nova_select.ServiceMode):

    def test_service_users_admin_role_passes_the_lock(self):
        self.on_get('lk', json=nova_server('lk', locked=True))
        self.assertEqual('act', self.plan(STOP, 'lk')[0].plan)

    def test_foreign_server_is_404(self):
        self.on_get('theirs', json=nova_server(
            'theirs', tenant_id=test_nova.OTHER_TENANT))
        self.assertEqual(404, self.plan(STOP, 'theirs')[0].code)
