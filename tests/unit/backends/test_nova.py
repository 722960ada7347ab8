"""The nova driver against requests-mock'ed Keystone and Nova.

The caller's auth plugin is built the way keystonemiddleware builds it: an
AccessInfo from the validated token body (``access.create``) wrapped in
``UserAuthPlugin``, with the middleware's own session and auth attached.
"""

import datetime
import json
import threading
import time
from unittest import mock
import uuid

import fixtures
from keystoneauth1 import access
from keystoneauth1.access import service_catalog
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystonemiddleware.auth_token import _user_plugin
from oslo_config import cfg
from oslo_context import context as oslo_context
from oslotest import base as oslotest_base
import requests
from requests_mock.contrib import fixture as rm_fixture

from vmact.backends import base
from vmact.backends import http
from vmact.backends import nova
from vmact.conf import agent as agent_conf
from vmact import context as vmact_context
from vmact import exception

AGENT = 'scloudm'
KEYSTONE = 'https://keystone.test/v3'
NOVA_ONE = 'https://nova-one.test:8774/v2.1'
NOVA_ONE_INTERNAL = 'http://nova-one.internal:8774/v2.1'
NOVA_TWO = 'https://nova-two.test:8774/v2.1'
NOVA_HOSTS = ('nova-one.test', 'nova-one.internal', 'nova-two.test')
TENANT = uuid.uuid4().hex
OTHER_TENANT = uuid.uuid4().hex
SERVICE_PROJECT = uuid.uuid4().hex
USER_TOKEN = 'user-token-' + uuid.uuid4().hex
SERVICE_TOKEN = 'service-token-' + uuid.uuid4().hex
MIDDLEWARE_TOKEN = 'middleware-token-' + uuid.uuid4().hex
PASSWORD = 'secret-' + uuid.uuid4().hex

START = base.Action(base.START)
STOP = base.Action(base.STOP)
HARD = base.Action(base.REBOOT, base.HARD)
SOFT = base.Action(base.REBOOT, base.SOFT)

ACTION_BODIES = {base.START: {'os-start': None}, base.STOP: {'os-stop': None},
                 base.REBOOT: None}


def token_body(project_id, roles=('member', 'reader'), expires=None):
    """A v3 token whose catalog has compute in RegionOne and RegionTwo.

    RegionThree has only an identity endpoint, so it is no compute region.
    """
    token = ks_fixture.V3Token(user_id=uuid.uuid4().hex,
                               project_id=project_id, expires=expires)
    for role in roles:
        token.add_role(name=role)
    compute = token.add_service('compute', name='nova')
    compute.add_standard_endpoints(public=NOVA_ONE,
                                   internal=NOVA_ONE_INTERNAL,
                                   region='RegionOne')
    compute.add_standard_endpoints(public=NOVA_TWO, region='RegionTwo')
    identity = token.add_service('identity', name='keystone')
    identity.add_standard_endpoints(public=KEYSTONE, region='RegionThree')
    return token


def server_body(server_id, tenant_id=TENANT, status='SHUTOFF',
                task_state=None, power_state=4):
    return {'server': {'id': server_id, 'tenant_id': tenant_id,
                       'status': status,
                       'OS-EXT-STS:task_state': task_state,
                       'OS-EXT-STS:power_state': power_state,
                       'OS-EXT-STS:vm_state': status.lower()}}


def nova_error(code, message):
    key = {404: 'itemNotFound', 409: 'conflictingRequest'}.get(
        code, 'computeFault' if code >= 500 else 'badRequest')
    return {key: {'code': code, 'message': message}}


def slow_accept(delay):
    """A Nova action answer that takes ``delay`` seconds."""
    def accept(request, context):
        time.sleep(delay)
        context.status_code = 202
        return ''
    return accept


class InFlight(fixtures.Fixture):
    """Count the driver's HTTP calls in flight at once.

    requests-mock answers one call at a time (it holds a global lock), so
    the count is taken where the driver hands a call to requests, and each
    call lasts ``delay`` seconds there.
    """

    def __init__(self, delay=0.05):
        super().__init__()
        self.delay = delay
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def _setUp(self):
        original = http.PooledHTTPSession.request

        def request(session, method, url, **kwargs):
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                time.sleep(self.delay)
                return original(session, method, url, **kwargs)
            finally:
                with self.lock:
                    self.now -= 1

        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.http.PooledHTTPSession.request', request))


class NovaTestCase(oslotest_base.BaseTestCase):
    """A nova agent in token mode, over mocked Keystone and Nova."""

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture(case_sensitive=True))
        self.conf = cfg.ConfigOpts()
        agent_conf.register_agent_opts(self.conf, AGENT,
                                       nova.NovaBackend.list_opts())
        self.conf(self.config_args(), default_config_files=[])
        self.set(backend='nova', poll_interval=0.01, poll_max_interval=0.02)

    def config_args(self):
        return []

    def set(self, **values):
        for name, value in values.items():
            self.conf.set_override(name, value, group=AGENT)

    def backend(self):
        return nova.NovaBackend(self.conf, AGENT)

    def user_context(self, project_id=TENANT, roles=('member', 'reader'),
                     body=None):
        """A context as the token-auth filter builds it behind authtoken."""
        auth_ref = access.create(body=body or token_body(project_id, roles),
                                 auth_token=USER_TOKEN)
        plugin = _user_plugin.UserAuthPlugin(auth_ref, None)
        return vmact_context.RequestContext(
            auth_plugin=plugin, user_id=auth_ref.user_id,
            project_id=auth_ref.project_id, roles=list(roles),
            request_id='req-' + str(uuid.uuid4()))

    def target(self, *servers, region='RegionOne', tenant_id=TENANT):
        return base.Target(tenant_id, region, servers)

    def on_action(self, server, url=NOVA_ONE, **response):
        if 'exc' not in response:
            response.setdefault('status_code', 202)
        return self.http.register_uri(
            'POST', '%s/servers/%s/action' % (url, server), **response)

    def on_get(self, server, url=NOVA_ONE, **response):
        if 'json' not in response and 'exc' not in response and \
                'response_list' not in response:
            response['json'] = server_body(server)
        responses = response.pop('response_list', None)
        if responses is not None:
            return self.http.register_uri(
                'GET', '%s/servers/%s' % (url, server), responses)
        return self.http.register_uri(
            'GET', '%s/servers/%s' % (url, server), **response)

    def act_and_wait(self, target, action):
        """act, then wait, as the app runs them, as the tenant's member."""
        backend, ctx = self.backend(), self.user_context()
        return backend.wait(ctx, target, action,
                            backend.act(ctx, target, action))

    def forget_calls(self):
        del self.http.request_history[:]

    def calls(self, method=None, host=None):
        return [r for r in self.http.request_history
                if (method is None or r.method == method)
                and (host is None or r.hostname == host)]

    def nova_calls(self):
        return [r for r in self.http.request_history
                if r.hostname in NOVA_HOSTS]

    def keystone_calls(self):
        return self.calls(host='keystone.test')

    def assertOutcomes(self, expected, outcomes):
        """``expected``: {server: code}, compared in request order."""
        self.assertEqual(list(expected.items()),
                         [(o.server, o.code) for o in outcomes],
                         [(o.server, o.code, o.msg) for o in outcomes])


class TokenModeTest(NovaTestCase):
    """Act as the caller with the token keystonemiddleware validated."""

    def test_one_nova_call_per_server_and_no_keystone(self):
        servers = ['s1', 's2', 's3']
        for server in servers:
            self.on_action(server)
        ctx = self.user_context()

        outcomes = self.backend().act(ctx, self.target(*servers), START)

        self.assertOutcomes({s: 202 for s in servers}, outcomes)
        self.assertEqual([], self.keystone_calls())
        calls = self.http.request_history
        self.assertEqual(len(servers), len(calls))
        self.assertEqual(
            sorted('/v2.1/servers/%s/action' % s for s in servers),
            sorted(c.path for c in calls))
        for call in calls:
            self.assertEqual('POST', call.method)
            self.assertEqual('nova-one.test', call.hostname)
            self.assertEqual({'os-start': None}, call.json())
            self.assertEqual(USER_TOKEN, call.headers['X-Auth-Token'])
            self.assertEqual(ctx.request_id,
                             call.headers['X-OpenStack-Request-ID'])
            self.assertEqual('2.1',
                             call.headers['X-OpenStack-Nova-API-Version'])

    def test_stop_and_both_reboots_send_nova_bodies(self):
        cases = [(STOP, {'os-stop': None}),
                 (HARD, {'reboot': {'type': 'HARD'}}),
                 (SOFT, {'reboot': {'type': 'SOFT'}}),
                 (base.Action(base.REBOOT), {'reboot': {'type': 'SOFT'}})]
        backend = self.backend()
        self.on_action('s1')
        for action, body in cases:
            self.forget_calls()
            [outcome] = backend.act(self.user_context(), self.target('s1'),
                                    action)
            self.assertEqual(202, outcome.code)
            [call] = self.http.request_history
            self.assertEqual(body, call.json())

    def test_microversion_is_configurable(self):
        self.set(microversion='2.96')
        self.on_action('s1')
        self.backend().act(self.user_context(), self.target('s1'), STOP)
        [call] = self.http.request_history
        self.assertEqual('compute 2.96', call.headers['OpenStack-API-Version'])
        self.assertEqual('2.96', call.headers['X-OpenStack-Nova-API-Version'])

    def test_region_picks_its_endpoint_from_the_catalog(self):
        self.on_action('s1', url=NOVA_TWO)
        [outcome] = self.backend().act(
            self.user_context(), self.target('s1', region='RegionTwo'), STOP)
        self.assertEqual(202, outcome.code)
        [call] = self.http.request_history
        self.assertEqual('nova-two.test', call.hostname)

    def test_interface_is_configurable(self):
        self.set(interface='internal')
        self.on_action('s1', url=NOVA_ONE_INTERNAL)
        [outcome] = self.backend().act(self.user_context(),
                                       self.target('s1'), STOP)
        self.assertEqual(202, outcome.code)
        [call] = self.http.request_history
        self.assertEqual('nova-one.internal', call.hostname)

    def test_unknown_region_names_it_and_the_compute_regions(self):
        for region in ('RegionThree', 'Nowhere'):
            e = self.assertRaises(
                exception.UnknownRegion, self.backend().act,
                self.user_context(), self.target('s1', region=region), STOP)
            self.assertEqual(400, e.code)
            self.assertEqual('Unknown region "%s"; known regions: '
                             'RegionOne, RegionTwo' % region, e.msg)
        self.assertEqual([], self.http.request_history)

    def test_the_endpoint_is_read_from_the_raw_token_catalog(self):
        """No per-request deep copy; get_endpoints_data's choices kept."""
        self.useFixture(fixtures.MockPatchObject(
            service_catalog.ServiceCatalog, 'normalize_catalog',
            side_effect=AssertionError('the catalog was deep-copied')))
        body = token_body(TENANT)
        [compute] = [service for service in body['token']['catalog']
                     if service['type'] == 'compute']
        for point in compute['endpoints']:
            del point['region_id']
        compute['endpoints'].insert(0, {'id': 'no-url', 'interface': 'public',
                                        'region_id': 'RegionTwo', 'url': ''})
        body.add_service('volumev3').add_standard_endpoints(
            public='https://cinder.test/v3', region='RegionFour')
        ctx = self.user_context(body=body)
        for region, host in (('RegionOne', 'nova-one.test'),
                             ('RegionTwo', 'nova-two.test')):
            self.on_action('s1', url={'RegionOne': NOVA_ONE,
                                      'RegionTwo': NOVA_TWO}[region])
            [outcome] = self.backend().act(
                ctx, self.target('s1', region=region), STOP)
            self.assertEqual(202, outcome.code)
            self.assertEqual(host, self.http.last_request.hostname)
        e = self.assertRaises(exception.UnknownRegion, self.backend().show,
                              ctx, self.target('s1', region='RegionFour'))
        self.assertEqual(['RegionOne', 'RegionTwo'], e.known)

    def test_region_known_only_on_another_interface(self):
        self.set(interface='internal')
        e = self.assertRaises(
            exception.UnknownRegion, self.backend().show,
            self.user_context(), self.target('s1', region='RegionTwo'))
        self.assertEqual(['RegionOne'], e.known)

    def test_every_nova_error_is_mapped_with_its_message(self):
        mapping = {404: 404, 409: 409, 403: 403, 401: 401, 429: 429,
                   413: 429, 400: 400, 405: 400, 422: 400, 500: 502,
                   501: 502, 503: 502, 504: 502}
        servers = ['ok']
        self.on_action('ok')
        for status in mapping:
            server = 'e%d' % status
            servers.append(server)
            self.on_action(server, status_code=status, json=nova_error(
                status, 'Nova says %d for %s' % (status, server)))

        outcomes = self.backend().act(self.user_context(),
                                      self.target(*servers), STOP)

        expected = {'ok': 202}
        expected.update(('e%d' % s, c) for s, c in mapping.items())
        self.assertOutcomes(expected, outcomes)
        for outcome in outcomes[1:]:
            self.assertEqual('Nova says %s for %s' % (outcome.server[1:],
                                                      outcome.server),
                             outcome.msg)
        self.assertEqual(len(servers), len(self.http.request_history))

    def test_conflict_carries_novas_words(self):
        msg = ("Cannot 'stop' instance s1 while it is in vm_state "
               "stopped")
        self.on_action('s1', status_code=409, json=nova_error(409, msg))
        [outcome] = self.backend().act(self.user_context(),
                                       self.target('s1'), STOP)
        self.assertEqual((409, msg), (outcome.code, outcome.msg))

    def test_transport_failures_are_not_retried(self):
        cases = [(requests.exceptions.ConnectionError('Connection refused'),
                  503),
                 (requests.exceptions.ConnectTimeout, 504),
                 (requests.exceptions.ReadTimeout, 504)]
        for action in (HARD, SOFT, START):
            for error, code in cases:
                self.forget_calls()
                self.on_action('s1', exc=error)
                [outcome] = self.backend().act(
                    self.user_context(), self.target('s1'), action)
                self.assertEqual(code, outcome.code, outcome.msg)
                self.assertEqual(1, len(self.http.request_history))

    def test_error_statuses_are_not_retried(self):
        for status in (401, 409, 429, 500, 502, 503, 504):
            self.forget_calls()
            self.on_action('s1', status_code=status,
                           json=nova_error(status, 'no'))
            self.backend().act(self.user_context(), self.target('s1'), HARD)
            self.assertEqual(1, len(self.http.request_history), status)

    def test_novaclient_is_built_without_retries(self):
        backend = self.backend()
        with mock.patch.object(nova.nova_client, 'Client',
                               wraps=nova.nova_client.Client) as client:
            self.on_action('s1')
            backend.act(self.user_context(), self.target('s1'), HARD)
        kwargs = client.call_args.kwargs
        self.assertEqual(0, kwargs['connect_retries'])
        self.assertEqual(0, kwargs['status_code_retries'])
        self.assertEqual(0, backend.http.adapters['https://'].max_retries
                         .total)

    def test_partial_failure_does_not_stop_the_others(self):
        self.on_action('a')
        self.on_action('b', exc=requests.exceptions.ConnectionError)
        self.on_action('c', status_code=404,
                       json=nova_error(404, 'Instance c could not be found.'))
        self.on_action('d')
        outcomes = self.backend().act(self.user_context(),
                                      self.target('a', 'b', 'c', 'd'), START)
        self.assertOutcomes({'a': 202, 'b': 503, 'c': 404, 'd': 202},
                            outcomes)

    def test_member_of_the_tenant_is_not_owner_checked(self):
        self.on_action('s1')
        self.backend().act(self.user_context(roles=('member',)),
                           self.target('s1'), STOP)
        self.assertEqual(['POST'],
                         [c.method for c in self.http.request_history])

    def test_admin_for_another_project_checks_ownership(self):
        self.on_get('mine')
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        self.on_action('mine')
        self.on_action('foreign')
        ctx = self.user_context(project_id=OTHER_TENANT, roles=('admin',))

        outcomes = self.backend().act(ctx, self.target('mine', 'foreign'),
                                      STOP)

        self.assertOutcomes({'mine': 202, 'foreign': 404}, outcomes)
        self.assertEqual('Instance foreign could not be found.',
                         outcomes[1].msg)
        self.assertEqual(
            [('GET', '/v2.1/servers/foreign')],
            [(c.method, c.path) for c in self.http.request_history
             if 'foreign' in c.path])
        self.assertEqual(3, len(self.http.request_history))
        for call in self.http.request_history:
            self.assertEqual(ctx.request_id,
                             call.headers['X-OpenStack-Request-ID'])

    def test_any_token_of_another_project_checks_ownership(self):
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        action = self.on_action('foreign')
        ctx = self.user_context(project_id=OTHER_TENANT, roles=('member',))
        [outcome] = self.backend().act(ctx, self.target('foreign'), STOP)
        self.assertEqual(404, outcome.code)
        self.assertFalse(action.called)

    def test_admin_in_its_own_project_checks_ownership(self):
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        action = self.on_action('foreign')
        [outcome] = self.backend().act(
            self.user_context(roles=('Admin', 'member')),
            self.target('foreign'), HARD)
        self.assertEqual(404, outcome.code)
        self.assertFalse(action.called)

    def test_cross_project_roles_are_configurable(self):
        self.set(cross_project_roles=['cloud_admin'])
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        action = self.on_action('foreign')
        ctx = self.user_context(roles=('cloud_admin',))
        [outcome] = self.backend().act(ctx, self.target('foreign'), STOP)
        self.assertEqual(404, outcome.code)
        self.assertFalse(action.called)

    def test_missing_server_in_ownership_check(self):
        self.on_get('gone', status_code=404,
                    json=nova_error(404, 'Instance gone could not be found.'))
        action = self.on_action('gone')
        ctx = self.user_context(project_id=OTHER_TENANT, roles=('admin',))
        [outcome] = self.backend().act(ctx, self.target('gone'), STOP)
        self.assertEqual((404, 'Instance gone could not be found.'),
                         (outcome.code, outcome.msg))
        self.assertFalse(action.called)

    def test_ownership_is_decided_once_per_request(self):
        """One decision serves every server of a request and its log."""
        for server in ('s1', 's2', 's3'):
            self.on_get(server)
            self.on_action(server)
        backend = self.backend()
        ctx = self.user_context(project_id=OTHER_TENANT, roles=('admin',))
        with mock.patch.object(backend, '_must_check_owner',
                               wraps=backend._must_check_owner) as decide:
            backend.act(ctx, self.target('s1', 's2', 's3'), STOP)
            backend.show(ctx, self.target('s1', 's2'))
        self.assertEqual(2, decide.call_count)
        self.assertEqual(5, len(self.calls(method='GET')))
        self.assertEqual(3, len(self.calls(method='POST')))

    def test_show_reads_states_and_names_power_states(self):
        states = {'p0': ('BUILD', 'spawning', 0, 'pending'),
                  'p1': ('ACTIVE', None, 1, 'running'),
                  'p3': ('PAUSED', None, 3, 'paused'),
                  'p4': ('SHUTOFF', None, 4, 'shutdown'),
                  'p6': ('ERROR', None, 6, 'crashed'),
                  'p7': ('SUSPENDED', None, 7, 'suspended'),
                  'p9': ('ACTIVE', 'rebooting', 9, '9')}
        for server, (status, task, power, _name) in states.items():
            self.on_get(server, json=server_body(server, status=status,
                                                 task_state=task,
                                                 power_state=power))
        ctx = self.user_context()

        outcomes = self.backend().show(ctx, self.target(*states))

        self.assertOutcomes({s: 200 for s in states}, outcomes)
        for outcome in outcomes:
            status, task, _power, name = states[outcome.server]
            self.assertEqual(base.ServerState(status, task, name),
                             outcome.state)
        self.assertEqual(len(states), len(self.http.request_history))
        for call in self.http.request_history:
            self.assertEqual(ctx.request_id,
                             call.headers['X-OpenStack-Request-ID'])

    def test_show_hides_foreign_servers_when_checking(self):
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        ctx = self.user_context(project_id=OTHER_TENANT, roles=('admin',))
        [outcome] = self.backend().show(ctx, self.target('foreign'))
        self.assertEqual(404, outcome.code)
        self.assertIsNone(outcome.state)

    def test_only_if_needed_reads_once_and_acts_where_needed(self):
        self.on_get('on', json=server_body('on', status='ACTIVE',
                                           power_state=1))
        self.on_get('off')
        self.on_get('stopping', json=server_body(
            'stopping', status='ACTIVE', task_state='powering-off'))
        self.on_get('gone', status_code=404,
                    json=nova_error(404, 'Instance gone could not be found.'))
        for server in ('on', 'off', 'stopping', 'gone'):
            self.on_action(server)
        action = base.Action(base.START, only_if_needed=True)

        outcomes = self.backend().act(
            self.user_context(), self.target('on', 'off', 'stopping',
                                             'gone'), action)

        self.assertOutcomes({'on': 200, 'off': 202, 'stopping': 202,
                             'gone': 404}, outcomes)
        self.assertEqual('already ACTIVE', outcomes[0].msg)
        self.assertEqual(4, len(self.calls(method='GET')))
        self.assertEqual(['/v2.1/servers/off/action',
                          '/v2.1/servers/stopping/action'],
                         sorted(c.path for c in self.calls(method='POST')))

    def test_wait_follows_accepted_servers_until_they_settle(self):
        self.on_action('s1')
        self.on_action('s2')
        self.on_action('bad', status_code=409,
                       json=nova_error(409, 'locked'))
        self.on_get('s1', response_list=[
            {'json': server_body('s1', task_state='powering-on')},
            {'json': server_body('s1', status='ACTIVE', power_state=1)}])
        self.on_get('s2', json=server_body('s2', status='ERROR'))
        action = base.Action(base.START, wait=5)

        outcomes = self.act_and_wait(self.target('s1', 's2', 'bad'), action)

        self.assertOutcomes({'s1': 200, 's2': 502, 'bad': 409}, outcomes)
        self.assertEqual('reached ACTIVE', outcomes[0].msg)
        self.assertIn('went to ERROR', outcomes[1].msg)
        reads = [c.path.rsplit('/', 1)[1] for c in self.calls('GET')]
        self.assertEqual(['s1', 's1', 's2'], sorted(reads))

    def test_wait_gives_up_at_its_deadline_with_the_last_state(self):
        self.set(poll_interval=0.01, poll_max_interval=0.04)
        self.on_action('s1')
        self.on_get('s1', json=server_body('s1', task_state='powering-on'))
        action = base.Action(base.START, wait=0.2)

        started = time.monotonic()
        [outcome] = self.act_and_wait(self.target('s1'), action)
        elapsed = time.monotonic() - started

        self.assertEqual(504, outcome.code)
        self.assertIn('last status SHUTOFF, task_state powering-on',
                      outcome.msg)
        self.assertLess(elapsed, 1.0)
        polls = len(self.calls(method='GET'))
        self.assertGreaterEqual(polls, 2)
        self.assertLessEqual(polls, 0.2 / 0.01)

    def test_request_deadline_leaves_late_servers_unsent(self):
        self.set(request_deadline=0.35, max_concurrency_per_request=1)
        servers = ['s%d' % i for i in range(6)]
        for server in servers:
            self.on_action(server, text=slow_accept(0.15))

        started = time.monotonic()
        outcomes = self.backend().act(self.user_context(),
                                      self.target(*servers), STOP)
        elapsed = time.monotonic() - started

        sent = {c.path.split('/')[3] for c in self.http.request_history}
        codes = {o.server: o.code for o in outcomes}
        self.assertEqual({s for s in servers if codes[s] == 202}, sent)
        self.assertTrue(sent)
        late = [o for o in outcomes if o.code == 504]
        self.assertTrue(late)
        for outcome in late:
            self.assertIn('Not sent', outcome.msg)
        self.assertEqual(len(servers), len(sent) + len(late))
        self.assertLess(elapsed, 0.35 + 0.15 + 0.2)

    def test_calls_carry_the_timeouts_cut_to_the_deadline(self):
        self.set(connect_timeout=2.5, read_timeout=12.0, request_deadline=30)
        self.on_action('s1')
        self.backend().act(self.user_context(), self.target('s1'), STOP)
        self.assertEqual((2.5, 12.0), self.http.request_history[0].timeout)

        self.set(request_deadline=1.0)
        self.forget_calls()
        self.backend().act(self.user_context(), self.target('s1'), STOP)
        connect, read = self.http.request_history[0].timeout
        self.assertLessEqual(connect, 1.0)
        self.assertLessEqual(read, 1.0)
        self.assertGreater(read, 0.5)

    def test_concurrency_is_bounded_per_request(self):
        self.set(max_concurrency_per_request=3, max_concurrency=10)
        servers = ['s%d' % i for i in range(12)]
        counter = self.useFixture(InFlight())
        for server in servers:
            self.on_action(server)

        outcomes = self.backend().act(self.user_context(),
                                      self.target(*servers), STOP)

        self.assertOutcomes({s: 202 for s in servers}, outcomes)
        self.assertEqual(3, counter.peak)
        self.assertEqual(len(servers), len(self.http.request_history))

    def test_concurrency_is_bounded_per_process(self):
        self.set(max_concurrency_per_request=3, max_concurrency=4)
        backend = self.backend()
        counter = self.useFixture(InFlight())
        requests_servers = [['r%d-s%d' % (r, i) for i in range(6)]
                            for r in range(3)]
        for servers in requests_servers:
            for server in servers:
                self.on_action(server)
        results = []

        def one_request(servers):
            results.append(backend.act(self.user_context(),
                                       self.target(*servers), STOP))

        threads = [threading.Thread(target=one_request, args=(servers,))
                   for servers in requests_servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(4, counter.peak)
        self.assertEqual(18, len(self.http.request_history))
        self.assertEqual([202] * 18,
                         [o.code for result in results for o in result])

    def test_pool_is_as_wide_as_the_concurrency(self):
        self.set(max_concurrency=50)
        backend = self.backend()
        for scheme in ('https://', 'http://'):
            adapter = backend.http.adapters[scheme]
            self.assertEqual(50, adapter._pool_maxsize)
            self.assertIsInstance(adapter, ks_session.TCPKeepAliveAdapter)
        self.assertIs(backend.http, backend.session.session)
        self.assertEqual(50, backend.fanout.pool._max_workers)

    def test_requests_share_the_agent_session_and_pool(self):
        backend = self.backend()
        session, http = backend.session, backend.http
        adapter = http.adapters['https://']
        self.on_action('s1')
        with mock.patch.object(nova.nova_client, 'Client',
                               wraps=nova.nova_client.Client) as client:
            backend.act(self.user_context(), self.target('s1'), STOP)
            backend.act(self.user_context(), self.target('s1'), START)
        first, second = client.call_args_list
        self.assertIs(session, first.kwargs['session'])
        self.assertIs(session, second.kwargs['session'])
        self.assertIs(http, backend.session.session)
        self.assertIs(adapter, backend.http.adapters['https://'])
        self.assertIsNot(first.kwargs['auth'], second.kwargs['auth'])

    def test_workers_carry_the_request_context_for_logging(self):
        seen = []

        def record(request, context):
            seen.append(oslo_context.get_current())
            context.status_code = 202
            return ''

        self.on_action('s1', text=record)
        self.on_action('s2', text=record)
        ctx = self.user_context()
        self.backend().act(ctx, self.target('s1', 's2'), STOP)
        self.assertEqual([ctx, ctx], seen)

    def test_middleware_service_token_is_forwarded_without_keystone(self):
        mw_token = ks_fixture.V3Token(project_id=SERVICE_PROJECT)
        self.http.post(KEYSTONE + '/auth/tokens', json=mw_token,
                       headers={'X-Subject-Token': MIDDLEWARE_TOKEN})
        mw_session = ks_session.Session()
        mw_auth = middleware_auth()
        mw_session.get_token(auth=mw_auth)
        ctx = self.user_context()
        ctx.auth_plugin._session = mw_session
        ctx.auth_plugin._auth = mw_auth
        self.on_action('s1')
        self.forget_calls()

        self.backend().act(ctx, self.target('s1'), STOP)

        [call] = self.http.request_history
        self.assertEqual(USER_TOKEN, call.headers['X-Auth-Token'])
        self.assertEqual(MIDDLEWARE_TOKEN, call.headers['X-Service-Token'])

    def test_no_token_plugin_is_unauthorized(self):
        ctx = self.user_context()
        ctx.auth_plugin = None
        self.assertRaises(exception.Unauthorized, self.backend().act,
                          ctx, self.target('s1'), STOP)
        self.assertEqual([], self.http.request_history)

    def test_tokens_never_reach_the_log(self):
        logger = self.useFixture(fixtures.FakeLogger(level='DEBUG'))
        self.on_action('s1', status_code=401,
                       json=nova_error(401, 'nope'))
        self.on_action('s2')
        self.backend().act(self.user_context(), self.target('s1', 's2'),
                           STOP)
        self.assertIn('X-Auth-Token', logger.output)
        self.assertIn('ownership check off', logger.output)
        self.assertNotIn(USER_TOKEN, logger.output)


class ServerIdTest(NovaTestCase):
    """IDs as Nova resolves them (issue 10, items 5 and 8).

    A word Nova routes under ``/servers/`` is never sent; the server Nova
    answers a read with must be the one asked for; the letter-case
    spellings of one UUID reach one server (Nova on MySQL) and get one
    call.
    """

    def setUp(self):
        super().setUp()
        # What Nova answers there: its server list for GET /servers/detail
        # (novaclient then fails on the missing "server" key), no such
        # server for POST /servers/detail/action.
        self.on_get('detail', json={'servers': [server_body('s1')['server']]})
        self.on_action('detail', status_code=404, json=nova_error(
            404, 'Instance detail could not be found.'))
        self.on_get('s1')
        self.on_action('s1')
        # Letters on both sides of index 9, so every spelling differs.
        self.lower = 'ab%s-4a5b-8c6d-9e7f-ef0123456789' % uuid.uuid4().hex[:6]
        self.upper = self.lower.upper()

    def contexts(self):
        """A member of the tenant, and an admin of another project.

        The admin's requests read each server (ownership) before acting.
        """
        return [self.user_context(),
                self.user_context(project_id=OTHER_TENANT, roles=('admin',))]

    def test_a_nova_route_word_is_never_sent(self):
        backend = self.backend()
        only_if_needed = base.Action(base.START, only_if_needed=True)
        for word in ('detail', 'Detail', 'DETAIL'):
            for ctx in self.contexts():
                for outcomes in (
                        backend.show(ctx, self.target(word)),
                        backend.show(ctx, self.target('s1', word)),
                        backend.act(ctx, self.target(word), HARD),
                        backend.act(ctx, self.target('s1', word), STOP),
                        backend.act(ctx, self.target(word), only_if_needed)):
                    [outcome] = [o for o in outcomes if o.server == word]
                    self.assertEqual(
                        (404, 'Instance %s could not be found.' % word),
                        (outcome.code, outcome.msg))
        sent = [(c.method, c.path) for c in self.nova_calls()]
        self.assertEqual([], [c for c in sent if 'detail' in c[1].lower()])
        self.assertTrue(sent)

    def test_a_read_answered_with_another_server_is_a_404(self):
        logger = self.useFixture(fixtures.FakeLogger(
            level='WARNING', format='%(levelname)s %(message)s'))
        self.on_get('s2', json=server_body('s3'))
        posted = self.on_action('s2')
        ctx = self.contexts()[1]
        backend = self.backend()

        outcomes = (backend.act(ctx, self.target('s2'), STOP)
                    + backend.show(ctx, self.target('s2')))

        for outcome in outcomes:
            self.assertEqual((404, 'Instance s2 could not be found.', None),
                             (outcome.code, outcome.msg, outcome.state))
        self.assertFalse(posted.called)
        self.assertIn('WARNING', logger.output)
        self.assertIn('"s3"', logger.output)

    def test_an_unreadable_answer_is_a_502_with_one_warning(self):
        logger = self.useFixture(fixtures.FakeLogger(
            level='INFO', format='%(levelname)s %(message)s'))
        self.on_get('s2', json={'unexpected': {}})
        posted = self.on_action('s2')
        ctx = self.contexts()[1]
        backend = self.backend()

        outcomes = (backend.act(ctx, self.target('s2'), STOP)
                    + backend.show(ctx, self.target('s2', 's1')))

        self.assertOutcomes({'s2': 502}, outcomes[:1])
        self.assertOutcomes({'s2': 502, 's1': 200}, outcomes[1:])
        self.assertIn('KeyError', outcomes[0].msg)
        self.assertFalse(posted.called)
        lines = logger.output.splitlines()
        self.assertEqual(2, len(lines), lines)
        for line in lines:
            self.assertTrue(line.startswith('WARNING '), line)
            self.assertIn('s2', line)
        self.assertNotIn('Traceback', logger.output)

    def test_server_key_is_one_per_uuid_spelling(self):
        backend = self.backend()
        self.assertEqual(backend.server_key(self.lower),
                         backend.server_key(self.upper))
        self.assertEqual('k432k234', backend.server_key('k432k234'))

    def test_spellings_of_one_uuid_get_one_call(self):
        mixed = self.lower[:9] + self.upper[9:]
        posted = self.on_action(self.lower)

        outcomes = self.backend().act(
            self.user_context(),
            self.target(self.lower, 's1', self.upper, mixed), STOP)

        self.assertOutcomes({self.lower: 202, 's1': 202, self.upper: 200,
                             mixed: 200}, outcomes)
        for outcome in outcomes[2:]:
            self.assertEqual('Same server as %s' % self.lower, outcome.msg)
        self.assertEqual(1, posted.call_count)
        self.assertEqual(2, len(self.nova_calls()))

    def test_a_uuid_is_sent_in_lower_case_as_nova_stores_it(self):
        """So every Nova database finds it, case-sensitive ones too."""
        read = self.on_get(self.lower)
        posted = self.on_action(self.lower)
        ctx = self.contexts()[1]
        backend = self.backend()

        outcomes = backend.act(ctx, self.target(self.upper, self.lower),
                               STOP)
        [alone] = backend.act(ctx, self.target(self.upper), STOP)

        self.assertOutcomes({self.upper: 202, self.lower: 200}, outcomes)
        self.assertEqual('Same server as %s' % self.upper, outcomes[1].msg)
        self.assertEqual((self.upper, 202), (alone.server, alone.code))
        self.assertEqual((2, 2), (read.call_count, posted.call_count))
        self.assertEqual(4, len(self.nova_calls()))

    def test_a_failure_is_the_same_for_every_spelling(self):
        self.on_action(self.lower, status_code=409,
                       json=nova_error(409, 'locked'))
        outcomes = self.backend().act(
            self.user_context(), self.target(self.lower, self.upper), STOP)
        self.assertOutcomes({self.lower: 409, self.upper: 409}, outcomes)
        self.assertEqual('Same server as %s: locked' % self.lower,
                         outcomes[1].msg)
        self.assertEqual(1, len(self.nova_calls()))

    def test_status_read_shows_every_spelling_with_one_read(self):
        self.on_get(self.lower)
        outcomes = self.backend().show(self.user_context(),
                                       self.target(self.upper, self.lower))
        self.assertOutcomes({self.upper: 200, self.lower: 200}, outcomes)
        self.assertEqual(outcomes[0].state, outcomes[1].state)
        self.assertEqual(base.ServerState('SHUTOFF', None, 'shutdown'),
                         outcomes[0].state)
        self.assertEqual(1, len(self.nova_calls()))

    def test_wait_follows_one_server_once(self):
        posted = self.on_action(self.lower)
        self.on_get(self.lower, response_list=[
            {'json': server_body(self.lower, task_state='powering-on')},
            {'json': server_body(self.lower, status='ACTIVE',
                                 power_state=1)}])
        action = base.Action(base.START, wait=5)

        outcomes = self.act_and_wait(self.target(self.lower, self.upper),
                                     action)

        self.assertOutcomes({self.lower: 200, self.upper: 200}, outcomes)
        self.assertEqual('reached ACTIVE', outcomes[0].msg)
        self.assertEqual('Same server as %s: reached ACTIVE' % self.lower,
                         outcomes[1].msg)
        self.assertEqual(1, posted.call_count)
        self.assertEqual(2, len(self.calls(method='GET')))

    def test_ids_nova_tells_apart_stay_apart(self):
        """Nova compares the hyphens exactly, and finds no other ID."""
        hex_form = self.lower.replace('-', '')
        servers = (self.lower, hex_form, 'vm-a', 'VM-A')
        for server in servers:
            self.on_action(server)
        outcomes = self.backend().act(self.user_context(),
                                      self.target(*servers), STOP)
        self.assertOutcomes({s: 202 for s in servers}, outcomes)
        self.assertEqual(len(servers), len(self.nova_calls()))


def middleware_auth():
    """The service user auth_token itself authenticates with."""
    return v3.Password(auth_url=KEYSTONE, username='authtoken',
                       password=PASSWORD, project_id=SERVICE_PROJECT,
                       user_domain_id='default')


class ServiceModeTest(NovaTestCase):
    """Act with the agent's own credentials, from its config section."""

    auth_options = {'auth_type': 'v3password', 'auth_url': KEYSTONE,
                    'username': 'vmact', 'password': PASSWORD,
                    'user_domain_id': 'default',
                    'project_id': SERVICE_PROJECT}

    def config_args(self):
        path = self.useFixture(fixtures.TempDir()).join('vmact.conf')
        lines = ['[%s]' % AGENT, 'auth_mode = service']
        lines += ['%s = %s' % item for item in self.auth_options.items()]
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        return ['--config-file', path]

    def setUp(self):
        super().setUp()
        self.auth = self.http.post(
            KEYSTONE + '/auth/tokens', status_code=201,
            json=token_body(SERVICE_PROJECT, roles=('admin', 'service')),
            headers={'X-Subject-Token': SERVICE_TOKEN})

    def test_request_counts_and_reuse_across_requests(self):
        backend = self.backend()
        servers = ['s1', 's2', 's3']
        for server in servers:
            self.on_get(server)
            self.on_action(server)

        first = backend.act(self.user_context(), self.target(*servers),
                            START)
        self.assertOutcomes({s: 202 for s in servers}, first)
        self.assertEqual(1, len(self.keystone_calls()))
        self.assertEqual(2 * len(servers), len(self.nova_calls()))
        self.assertEqual(1 + 2 * len(servers),
                         len(self.http.request_history))
        login = json.loads(self.keystone_calls()[0].text)
        self.assertEqual('vmact',
                         login['auth']['identity']['password']['user']
                         ['name'])

        self.forget_calls()
        second = backend.act(self.user_context(), self.target(*servers),
                             STOP)
        self.assertOutcomes({s: 202 for s in servers}, second)
        self.assertEqual([], self.keystone_calls())
        self.assertEqual(2 * len(servers), len(self.http.request_history))
        for call in self.http.request_history:
            self.assertEqual(SERVICE_TOKEN, call.headers['X-Auth-Token'])
            self.assertNotIn('X-Service-Token', call.headers)

    def test_route_words_and_spellings_cost_no_call(self):
        """Two calls per real server, none for a route word or a respelling."""
        lower = str(uuid.uuid4())
        self.on_get('detail', json={'servers': []})
        self.on_get(lower)
        posted = self.on_action(lower)

        outcomes = self.backend().act(
            self.user_context(), self.target('detail', lower, lower.upper()),
            START)

        self.assertOutcomes({'detail': 404, lower: 202, lower.upper(): 200},
                            outcomes)
        self.assertEqual(1, posted.call_count)
        self.assertEqual(2, len(self.nova_calls()))

    def test_foreign_server_is_never_posted_to(self):
        self.on_get('mine')
        self.on_get('foreign', json=server_body('foreign', OTHER_TENANT))
        self.on_get('gone', status_code=404,
                    json=nova_error(404, 'Instance gone could not be found.'))
        posts = {s: self.on_action(s) for s in ('mine', 'foreign', 'gone')}
        ctx = self.user_context()

        outcomes = self.backend().act(
            ctx, self.target('mine', 'foreign', 'gone'), HARD)

        self.assertOutcomes({'mine': 202, 'foreign': 404, 'gone': 404},
                            outcomes)
        self.assertEqual('Instance foreign could not be found.',
                         outcomes[1].msg)
        self.assertEqual('Instance gone could not be found.',
                         outcomes[2].msg)
        self.assertEqual(1, posts['mine'].call_count)
        self.assertFalse(posts['foreign'].called)
        self.assertFalse(posts['gone'].called)
        for call in self.nova_calls():
            self.assertEqual(ctx.request_id,
                             call.headers['X-OpenStack-Request-ID'])

    def test_only_if_needed_costs_no_extra_read(self):
        self.on_get('on', json=server_body('on', status='ACTIVE'))
        self.on_get('off')
        self.on_action('on')
        self.on_action('off')
        action = base.Action(base.START, only_if_needed=True)
        backend = self.backend()
        backend.act(self.user_context(), self.target('on'), action)
        self.forget_calls()

        outcomes = backend.act(self.user_context(),
                               self.target('on', 'off'), action)

        self.assertOutcomes({'on': 200, 'off': 202}, outcomes)
        self.assertEqual(['GET', 'GET', 'POST'],
                         sorted(c.method for c in self.http.request_history))

    def test_nova_401_is_not_resent_and_renews_the_token(self):
        backend = self.backend()
        self.on_get('s1')
        self.on_action('s1', status_code=401,
                       json=nova_error(401, 'The request you have made '
                                            'requires authentication.'))
        [outcome] = backend.act(self.user_context(), self.target('s1'),
                                STOP)
        self.assertEqual(401, outcome.code)
        self.assertEqual(1, len(self.calls('POST', 'nova-one.test')))
        self.assertEqual(1, self.auth.call_count)

        self.on_action('s1')
        backend.act(self.user_context(), self.target('s1'), STOP)
        self.assertEqual(2, self.auth.call_count)

    def test_expiring_token_is_refreshed_once(self):
        soon = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=30)
        later = soon + datetime.timedelta(hours=1)
        self.http.post(KEYSTONE + '/auth/tokens', [
            {'status_code': 201, 'headers': {'X-Subject-Token': 'old'},
             'json': token_body(SERVICE_PROJECT, expires=soon)},
            {'status_code': 201, 'headers': {'X-Subject-Token': 'new'},
             'json': token_body(SERVICE_PROJECT, expires=later)}])
        self.on_get('s1')
        self.on_action('s1')
        self.on_get('s2')
        self.on_action('s2')

        self.backend().act(self.user_context(), self.target('s1', 's2'),
                           STOP)

        self.assertEqual(2, len(self.calls('POST', 'keystone.test')))
        self.assertEqual({'new'}, {c.headers['X-Auth-Token']
                                   for c in self.nova_calls()})

    def test_keystone_unreachable_fails_the_request(self):
        self.http.post(KEYSTONE + '/auth/tokens',
                       exc=requests.exceptions.ConnectionError)
        self.assertRaises(exception.BackendUnavailable, self.backend().act,
                          self.user_context(), self.target('s1'), STOP)
        self.assertEqual([], self.nova_calls())

    def test_keystone_timeout_fails_the_request(self):
        self.http.post(KEYSTONE + '/auth/tokens',
                       exc=requests.exceptions.ConnectTimeout)
        self.assertRaises(exception.BackendTimeout, self.backend().show,
                          self.user_context(), self.target('s1'))

    def test_refused_credentials_are_a_502_without_the_password(self):
        self.http.post(KEYSTONE + '/auth/tokens', status_code=401,
                       json={'error': {'code': 401, 'message': 'bad'}})
        e = self.assertRaises(exception.BackendError, self.backend().act,
                              self.user_context(), self.target('s1'), STOP)
        self.assertEqual(502, e.code)
        self.assertIn(AGENT, e.msg)
        self.assertNotIn(PASSWORD, e.msg)
        self.assertEqual([], self.nova_calls())

    def test_unknown_region_in_the_service_catalog(self):
        e = self.assertRaises(exception.UnknownRegion, self.backend().act,
                              self.user_context(),
                              self.target('s1', region='RegionThree'), STOP)
        self.assertEqual(['RegionOne', 'RegionTwo'], e.known)


class ServiceModeApplicationCredentialTest(ServiceModeTest):
    """Any auth_type works: an application credential here."""

    auth_options = {'auth_type': 'v3applicationcredential',
                    'auth_url': KEYSTONE,
                    'application_credential_id': uuid.uuid4().hex,
                    'application_credential_secret': PASSWORD}

    def test_request_counts_and_reuse_across_requests(self):
        self.on_get('s1')
        self.on_action('s1')
        backend = self.backend()
        backend.act(self.user_context(), self.target('s1'), STOP)
        backend.act(self.user_context(), self.target('s1'), STOP)
        self.assertEqual(1, len(self.keystone_calls()))
        login = json.loads(self.keystone_calls()[0].text)
        self.assertEqual(['application_credential'],
                         login['auth']['identity']['methods'])
        self.assertEqual(4, len(self.nova_calls()))


class ServiceModeConfigTest(NovaTestCase):

    def test_service_mode_needs_an_auth_type(self):
        self.set(auth_mode='service')
        self.assertRaises(exception.ConfigError, self.backend)

    def test_token_mode_needs_no_credentials(self):
        self.assertIsNone(self.backend().service_auth)

    def test_microversion_must_be_explicit(self):
        self.assertRaises(ValueError, self.set, microversion='latest')


class ServiceModeGenericPasswordTest(ServiceModeTest):
    """auth_type = password discovers Keystone's version when it logs in."""

    auth_options = dict(ServiceModeTest.auth_options, auth_type='password')

    def setUp(self):
        super().setUp()
        self.discovery = self.http.get(
            KEYSTONE, json={'version': ks_fixture.V3Discovery(KEYSTONE)})

    def test_request_counts_and_reuse_across_requests(self):
        self.on_get('s1')
        self.on_action('s1')
        backend = self.backend()
        backend.act(self.user_context(), self.target('s1'), STOP)
        self.assertEqual([('GET', '/v3'), ('POST', '/v3/auth/tokens')],
                         [(c.method, c.path) for c in self.keystone_calls()])
        backend.act(self.user_context(), self.target('s1'), STOP)
        self.assertEqual(2, len(self.keystone_calls()))
        self.assertEqual(4, len(self.nova_calls()))
