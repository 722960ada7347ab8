"""authtoken: keystonemiddleware, twice, with a requests-mock'ed Keystone.

The filter under the ``fault`` filter (which renders its answers) over a
FakeApp; keystonemiddleware runs for real (no ``AuthTokenFixture``):
Keystone's token API is answered by requests-mock, which counts the
validations (``GET /v3/auth/tokens``) and can revoke a token, time out or
refuse.
"""

import uuid

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading
from oslo_cache import exception as cache_exception
import requests
from requests_mock.contrib import fixture as rm_fixture
import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api.middleware import authtoken
from vmact.api.middleware import fault

KEYSTONE = 'http://keystone.test/v3'
TOKENS_URL = KEYSTONE + '/auth/tokens'
SERVICE_USER_TOKEN = 'vmact-service-' + uuid.uuid4().hex
#: The paste options of [filter:authtoken] in api-paste.ini.
PASTE_OPTIONS = {'delay_auth_decision': 'false'}


class FakeKeystone(object):
    """Keystone's token API on requests-mock: issue, validate, revoke."""

    def __init__(self, http):
        self.http = http
        self.tokens = {}
        service = ks_fixture.V3Token(project_id='service',
                                     user_name='vmact')
        service.add_role(name='admin')
        service.add_role(name='service')
        identity = service.add_service('identity')
        identity.add_standard_endpoints(public=KEYSTONE, internal=KEYSTONE,
                                        admin=KEYSTONE)
        http.get(KEYSTONE, json=ks_fixture.V3Discovery(KEYSTONE))
        http.post(TOKENS_URL, json=service, status_code=201,
                  headers={'X-Subject-Token': SERVICE_USER_TOKEN})
        self.tokens[SERVICE_USER_TOKEN] = service
        http.get(TOKENS_URL, json=self._validate)

    def issue(self, project='demo', roles=('member', 'reader')):
        """A new token of a user of ``project``; returns its id."""
        token = ks_fixture.V3Token(project_id=project, project_name=project,
                                   user_id='user-of-' + project)
        for role in roles:
            token.add_role(name=role)
        token_id = uuid.uuid4().hex
        self.tokens[token_id] = token
        return token_id

    def revoke(self, token_id):
        del self.tokens[token_id]

    def _validate(self, request, context):
        token = self.tokens.get(request.headers.get('X-Subject-Token'))
        if token is None:
            context.status_code = 404
            return {'error': {'code': 404, 'title': 'Not Found',
                              'message': 'Could not find token.'}}
        return token

    def validations(self, token_id=None):
        """How many validations Keystone answered (of ``token_id``)."""
        return len([r for r in self.http.request_history
                    if r.method == 'GET' and
                    r.url.split('?')[0] == TOKENS_URL and
                    token_id in (None, r.headers.get('X-Subject-Token'))])

    def fail_validations(self, exc):
        """From now on every validation raises ``exc`` (a requests error)."""
        self.http.get(TOKENS_URL, exc=exc)


class AuthTokenTestCase(base.TestCase):
    """fault over authtoken over a FakeApp, Keystone on requests-mock."""

    def setUp(self):
        super().setUp()
        self.conf_fixture.load_raw_values(
            group='keystone_authtoken', www_authenticate_uri=KEYSTONE,
            auth_url=KEYSTONE, auth_type='v3password', username='vmact',
            password='secret', user_domain_name='Default',
            project_name='service', project_domain_name='Default')
        self.keystone = FakeKeystone(self.useFixture(rm_fixture.Fixture()))
        self.app = fakes.FakeApp()
        self.addCleanup(self.unregister_plugin_opts)

    def unregister_plugin_opts(self):
        """Forget the options keystonemiddleware registered for v3password.

        They include a required one (auth_url) that would fail the next
        test's parse.
        """
        self.conf.reset()
        self.conf.unregister_opts(
            loading.get_auth_plugin_conf_options('v3password'),
            group='keystone_authtoken')

    def load(self):
        """Build the filters once the test has set its flags."""
        if not hasattr(self, '_stack'):
            auth = authtoken.AuthToken.factory({}, **PASTE_OPTIONS)(self.app)
            self._stack = fault.FaultWrapper.factory({})(auth)
        return self._stack

    def token(self, *args, **kwargs):
        return self.keystone.issue(*args, **kwargs)

    def call(self, method, token, headers=None):
        req = webob.Request.blank('/mana_api/vm_act', method=method,
                                  headers=headers or {})
        if token:
            req.headers['X-Auth-Token'] = token
        response = req.get_response(self.load())
        if response.status_int == 200:
            identity = self.app.requests[-1].headers
            self.assertEqual('Confirmed', identity['X-Identity-Status'])
        return response

    def read(self, token, headers=None):
        return self.call('GET', token, headers)

    def act(self, token, headers=None):
        return self.call('POST', token, headers)

    def sent_actions(self):
        return [r for r in self.app.requests if r.method == 'POST']

    def assertError(self, response, code, *fragments):
        self.assertEqual(code, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(code, response.json['code'])
        for fragment in fragments:
            self.assertIn(fragment, response.json['msg'])


class BoundedDefaultsTest(AuthTokenTestCase):
    """Every call keystonemiddleware makes has a timeout by default."""

    def test_defaults_bound_keystone_and_memcached(self):
        self.load()
        options = self.conf.keystone_authtoken
        self.assertEqual(2, options.http_connect_timeout)
        self.assertEqual(1, options.http_request_max_retries)
        self.assertEqual(1, options.memcache_pool_socket_timeout)
        self.assertEqual(1, options.memcache_pool_conn_get_timeout)

    def test_the_operators_values_win(self):
        self.conf_fixture.load_raw_values(
            group='keystone_authtoken', http_connect_timeout='7',
            http_request_max_retries='0')
        self.load()
        self.assertEqual(7, self.conf.keystone_authtoken.http_connect_timeout)
        self.assertEqual(
            0, self.conf.keystone_authtoken.http_request_max_retries)
        self.assertEqual(
            1, self.conf.keystone_authtoken.memcache_pool_socket_timeout)

    def test_the_timeout_reaches_keystones_requests(self):
        self.assertEqual(200, self.read(self.token()).status_int)
        timeouts = {r.timeout for r in self.keystone.http.request_history}
        self.assertEqual({2}, timeouts)


class KeystoneUnavailableTest(AuthTokenTestCase):
    """Keystone down or silent: 503 in the error format, never 500."""

    def test_read_timeout_is_503(self):
        token = self.token()
        self.keystone.fail_validations(requests.exceptions.ReadTimeout)
        response = self.act(token=token)
        self.assertError(response, 503, 'unavailable')
        self.assertEqual([], self.app.requests)
        # The validation and its one retry (the default).
        self.assertEqual(2, self.keystone.validations())

    def test_connect_timeout_is_503(self):
        self.keystone.fail_validations(requests.exceptions.ConnectTimeout)
        self.assertError(self.read(self.token()), 503, 'unavailable')

    def test_connection_refused_is_503(self):
        self.keystone.fail_validations(requests.exceptions.ConnectionError)
        self.assertError(self.act(token=self.token()), 503, 'unavailable')
        self.assertEqual([], self.app.requests)

    def test_action_with_a_cached_token_is_503_when_keystone_is_down(self):
        token = self.token()
        self.assertEqual(200, self.act(token=token).status_int)
        self.keystone.fail_validations(requests.exceptions.ReadTimeout)
        self.assertError(self.act(token), 503)
        self.assertEqual(1, len(self.sent_actions()))
        # Reads go on from the cache.
        self.assertEqual(200, self.read(token).status_int)


class RevocationTest(AuthTokenTestCase):
    """Actions are validated with Keystone every time; reads are cached."""

    def test_revoked_token_cannot_act_right_after_a_cached_use(self):
        token = self.token()
        self.assertEqual(200, self.act(token=token).status_int)
        self.keystone.revoke(token)
        response = self.act(token)
        self.assertError(response, 401, 'requires authentication')
        self.assertEqual(1, len(self.sent_actions()))

    def test_one_validation_per_action_request(self):
        token = self.token()
        for expected in (1, 2, 3):
            self.assertEqual(200, self.act(token).status_int)
            self.assertEqual(expected, self.keystone.validations(token))

    def test_reads_use_the_cache_for_the_documented_window(self):
        token = self.token()
        for _ in range(3):
            self.assertEqual(200, self.read(token).status_int)
        self.assertEqual(1, self.keystone.validations(token))
        self.keystone.revoke(token)
        self.assertEqual(200, self.read(token).status_int)
        self.assertEqual(1, self.keystone.validations(token))

    def test_an_action_refreshes_the_cache_for_reads(self):
        token = self.token()
        self.assertEqual(200, self.act(token=token).status_int)
        self.assertEqual(200, self.read(token).status_int)
        self.assertEqual(1, self.keystone.validations(token))

    def test_invalid_token_is_validated_once_per_request(self):
        self.assertError(self.act(token='no-such-token'), 401)
        self.assertEqual(1, self.keystone.validations('no-such-token'))
        self.assertEqual([], self.app.requests)

    def test_action_validates_user_and_service_token_once_each(self):
        token, service = self.token(), self.service_token()
        for expected in (1, 2):
            self.assertEqual(200, self.act(token, headers={
                'X-Service-Token': service}).status_int)
            self.assertEqual(expected, self.keystone.validations(token))
            self.assertEqual(expected, self.keystone.validations(service))

    def service_token(self):
        return self.token(project='service', roles=('service',))

    def test_option_off_lets_actions_use_the_cache(self):
        self.flags(group='api', revalidate_action_tokens=False)
        token = self.token()
        self.assertEqual(200, self.act(token=token).status_int)
        self.keystone.revoke(token)
        self.assertEqual(200, self.act(token).status_int)
        self.assertEqual(1, self.keystone.validations(token))


class TokenCacheFailureTest(AuthTokenTestCase):
    """A failing token cache is skipped, not a 500."""

    def break_cache(self):
        def fail(cache, *args, **kwargs):
            raise cache_exception.QueueEmpty(
                'Unable to get a connection from pool')
        for name in ('get', 'set'):
            self.useFixture(fixtures.MonkeyPatch(
                'keystonemiddleware.auth_token._cache.TokenCache.' + name,
                fail))

    def test_request_is_served_with_keystone_alone(self):
        self.break_cache()
        token = self.token()
        self.assertEqual(200, self.read(token).status_int)
        self.assertEqual(200, self.act(token=token).status_int)
        self.assertEqual(2, self.keystone.validations(token))
        self.assertEqual(1, len(self.sent_actions()))


class ServiceTokenTest(AuthTokenTestCase):
    """X-Service-Token: an invalid one is a 401, as keystonemiddleware's."""

    def service_token(self, roles=('service',)):
        return self.token(project='service', roles=roles)

    def test_garbage_service_token_is_401(self):
        response = self.act(token=self.token(),
                            headers={'X-Service-Token': 'garbage'})
        self.assertError(response, 401, 'requires authentication')
        self.assertEqual(['Keystone uri="%s"' % KEYSTONE],
                         response.headers.getall('WWW-Authenticate'))
        self.assertEqual([], self.app.requests)

    def test_service_token_without_the_service_role_is_401(self):
        response = self.read(self.token(), headers={
            'X-Service-Token': self.service_token(('member',))})
        self.assertError(response, 401)

    def test_valid_service_token_is_accepted(self):
        response = self.act(token=self.token(),
                            headers={'X-Service-Token': self.service_token()})
        self.assertEqual(200, response.status_int, response.text)

    def test_forged_service_status_header_is_ignored(self):
        response = self.act(token=self.token(), headers={
            'X-Service-Token': 'garbage',
            'X-Service-Identity-Status': 'Confirmed'})
        self.assertError(response, 401)
