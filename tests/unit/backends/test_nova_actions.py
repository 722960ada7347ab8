"""Nova's instance actions and request ids, against requests-mock'ed Nova.

The JSON is Nova's own: ``GET /servers/{id}/os-instance-actions`` answers
``{"instanceActions": [{"action", "instance_uuid", "message",
"project_id", "request_id", "start_time", "user_id"}]}``, newest first,
``start_time`` in naive UTC with microseconds.
"""

import datetime
import uuid

from keystoneauth1 import exceptions as ks_exc

from tests.unit.backends import test_nova
from vmact.backends import base
from vmact.backends import nova_actions

SINCE = datetime.datetime(2026, 12, 1, 19, 0, 0)
START = base.Action(base.START)
STOP = base.Action(base.STOP)
HARD = base.Action(base.REBOOT, base.HARD)


def instance_action(name, start_time, user_id, server_id='s1'):
    return {'action': name, 'instance_uuid': server_id, 'message': None,
            'project_id': test_nova.TENANT,
            'request_id': 'req-' + str(uuid.uuid4()),
            'start_time': start_time, 'user_id': user_id}


class ReceivedTokenModeTest(test_nova.NovaTestCase):
    """Acting as the caller: the caller's own actions count."""

    def setUp(self):
        super().setUp()
        self.ctx = self.user_context()
        self.user = self.ctx.user_id

    def on_actions(self, server, *actions, **response):
        if not response:
            response['json'] = {'instanceActions': list(actions)}
        return self.http.register_uri(
            'GET', '%s/servers/%s/os-instance-actions'
            % (test_nova.NOVA_ONE, server), **response)

    def received(self, *servers, action=START, since=SINCE):
        return self.backend().received(self.ctx, self.target(*servers),
                                       action, since)

    def test_an_action_of_its_kind_by_the_user_since_is_received(self):
        self.on_actions('s1', instance_action(
            'start', '2026-12-01T19:00:02.000000', self.user),
            instance_action('stop', '2026-12-01T18:00:00.000000', self.user))
        self.assertEqual({'s1': True}, self.received('s1'))

    def test_an_action_exactly_at_since_is_received(self):
        self.on_actions('s1', instance_action(
            'start', '2026-12-01T19:00:00.000000', self.user))
        self.assertEqual({'s1': True}, self.received('s1'))

    def test_older_other_kind_or_other_user_is_not_received(self):
        self.on_actions(
            's1', instance_action('start', '2026-12-01T18:59:59.999999',
                                  self.user),
            instance_action('stop', '2026-12-01T19:05:00.000000', self.user),
            instance_action('start', '2026-12-01T19:05:00.000000',
                            'someone-else'))
        self.on_actions('s2')
        self.assertEqual({'s1': False, 's2': False},
                         self.received('s1', 's2'))

    def test_reboot_counts_either_type(self):
        self.on_actions('s1', instance_action(
            'reboot', '2026-12-01T19:01:00.000000', self.user))
        self.assertEqual({'s1': True}, self.received('s1', action=HARD))
        self.assertEqual({'s1': False}, self.received('s1', action=STOP))

    def test_a_missing_server_never_received_it(self):
        self.on_actions('gone', status_code=404, json=test_nova.nova_error(
            404, 'Instance gone could not be found.'))
        self.assertEqual({'gone': False}, self.received('gone'))

    def test_unreadable_actions_are_not_known(self):
        self.on_actions('down', status_code=500,
                        json=test_nova.nova_error(500, 'boom'))
        self.on_actions('odd', text='<html>proxy</html>')
        self.on_actions('cut', exc=ks_exc.ConnectionError('reset'))
        self.on_actions('when', json={'instanceActions': [instance_action(
            'start', 'yesterday', self.user)]})
        self.assertEqual(
            {'down': None, 'odd': None, 'cut': None, 'when': None},
            self.received('down', 'odd', 'cut', 'when'))

    def test_a_route_word_is_never_asked_and_never_received(self):
        self.assertEqual({'detail': False}, self.received('detail'))
        self.assertEqual([], self.nova_calls())

    def test_spellings_of_one_uuid_are_read_once_in_lower_case(self):
        lower = str(uuid.uuid4())
        self.on_actions(lower, instance_action(
            'start', '2026-12-01T19:00:01.000000', self.user, lower))
        self.assertEqual({lower: True, lower.upper(): True},
                         self.received(lower, lower.upper()))
        [call] = self.nova_calls()
        self.assertEqual('/v2.1/servers/%s/os-instance-actions' % lower,
                         call.path)

    def test_the_call_carries_the_callers_token_and_request_id(self):
        self.on_actions('s1')
        self.received('s1')
        [call] = self.nova_calls()
        self.assertEqual(test_nova.USER_TOKEN, call.headers['X-Auth-Token'])
        self.assertEqual(self.ctx.request_id,
                         call.headers['X-OpenStack-Request-ID'])

    def test_acts_as_caller_only_in_token_mode(self):
        self.assertTrue(self.backend().acts_as_caller)


class RequestIdTest(test_nova.NovaTestCase):
    """Each accepted call's Outcome carries Nova's own request id."""

    def test_accepted_calls_carry_novas_request_id(self):
        for action, server in ((START, 's1'), (STOP, 's2'), (HARD, 's3')):
            self.on_action(server, headers={
                'x-openstack-request-id': 'req-nova-' + server})
            [outcome] = self.backend().act(self.user_context(),
                                           self.target(server), action)
            self.assertEqual((202, 'req-nova-' + server),
                             (outcome.code, outcome.backend_request_id))

    def test_without_the_header_there_is_none(self):
        self.on_action('s1')
        [outcome] = self.backend().act(self.user_context(),
                                       self.target('s1'), START)
        self.assertEqual(202, outcome.code)
        self.assertIsNone(outcome.backend_request_id)

    def test_rate_and_over_limit_refusals_carry_retry_after(self):
        self.on_action('s1', status_code=429, headers={'Retry-After': '7'},
                       json={'overLimit': {'code': 429, 'message': 'slow'}})
        self.on_action('s2', status_code=413, headers={'Retry-After': '3'},
                       json={'overLimit': {'code': 413, 'message': 'over'}})
        self.on_action('s3', status_code=429,
                       json={'overLimit': {'code': 429, 'message': 'slow'}})
        self.on_action('s4', status_code=409, headers={'Retry-After': '5'},
                       json=test_nova.nova_error(409, 'busy'))
        outcomes = self.backend().act(self.user_context(),
                                      self.target('s1', 's2', 's3', 's4'),
                                      START)
        self.assertEqual([(429, 7.0), (429, 3.0), (429, None), (409, None)],
                         [(o.code, o.retry_after) for o in outcomes])


class ReceivedServiceModeTest(ReceivedTokenModeTest):
    """Acting with the agent's credentials: the service user's actions."""

    auth_options = test_nova.ServiceModeTest.auth_options
    config_args = test_nova.ServiceModeTest.config_args

    def setUp(self):
        super().setUp()
        token = test_nova.token_body(test_nova.SERVICE_PROJECT,
                                     roles=('admin', 'service'))
        self.http.post(test_nova.KEYSTONE + '/auth/tokens', status_code=201,
                       json=token,
                       headers={'X-Subject-Token': test_nova.SERVICE_TOKEN})
        self.user = token.user_id

    def test_the_call_carries_the_callers_token_and_request_id(self):
        self.on_actions('s1')
        self.received('s1')
        [call] = self.nova_calls()
        self.assertEqual(test_nova.SERVICE_TOKEN,
                         call.headers['X-Auth-Token'])

    def test_the_callers_own_actions_do_not_count(self):
        self.on_actions('s1', instance_action(
            'start', '2026-12-01T19:00:02.000000', self.ctx.user_id))
        self.assertEqual({'s1': False}, self.received('s1'))

    def test_acts_as_caller_only_in_token_mode(self):
        self.assertFalse(self.backend().acts_as_caller)


class DecideTest(test_nova.NovaTestCase):
    """The rule itself, on plain dicts."""

    def test_without_a_user_any_users_action_counts(self):
        actions = [instance_action('stop', '2026-12-01T19:00:01.000000',
                                   'anyone')]
        self.assertTrue(nova_actions.decide(actions, 'stop', SINCE))
        self.assertFalse(nova_actions.decide(actions, 'start', SINCE))

    def test_an_unreadable_time_is_not_known_unless_another_says_so(self):
        bad = instance_action('stop', None, 'u')
        good = instance_action('stop', '2026-12-01T19:00:01Z', 'u')
        self.assertIsNone(nova_actions.decide([bad], 'stop', SINCE, 'u'))
        self.assertTrue(nova_actions.decide([bad, good], 'stop', SINCE, 'u'))
