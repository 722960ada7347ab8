"""The agents' HTTP sessions, against requests-mock."""

import threading
import time
import types
from unittest import mock

import fixtures
from keystoneauth1 import plugin as ks_plugin
from keystoneauth1 import session as ks_session
from oslotest import base as oslotest_base
import requests
from requests_mock.contrib import fixture as rm_fixture

from vmact.backends import http

URL = 'https://nova.test:8774/v2.1/servers/s1'


def session_opts(**values):
    """An agent section's options, as http.agent_session reads them."""
    opts = dict(connect_timeout=5.0, read_timeout=30.0, tls_ciphers=None,
                tls_min_version=None, insecure=False, cafile=None,
                certfile=None, keyfile=None, collect_timing=False,
                split_loggers=False)
    opts.update(values)
    return types.SimpleNamespace(**opts)


class RenewableToken(ks_plugin.BaseAuthPlugin):
    """A token that says it can renew, so keystoneauth would resend."""

    def get_token(self, session, **kwargs):
        return 'token'

    def invalidate(self):
        return True


class DeadlineTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.http = http.PooledHTTPSession(4, 2.5, 12.0)

    def test_no_scope_gives_the_configured_timeouts(self):
        self.assertEqual((2.5, 12.0), self.http.call_timeout())

    def test_timeouts_are_cut_to_the_time_left(self):
        with http.deadline_scope(time.monotonic() + 1.0):
            connect, read = self.http.call_timeout()
        self.assertLessEqual(connect, 1.0)
        self.assertGreater(read, 0.5)
        self.assertLessEqual(read, 1.0)
        self.assertEqual((2.5, 12.0), self.http.call_timeout())

    def test_a_passed_deadline_sends_nothing(self):
        mocked = self.useFixture(rm_fixture.Fixture())
        mocked.get(URL, text='')
        with http.deadline_scope(time.monotonic() - 0.01):
            self.assertRaises(requests.exceptions.ConnectTimeout,
                              self.http.get, URL)
        self.assertEqual([], mocked.request_history)

    def test_scopes_nest_and_stay_in_their_thread(self):
        seen = []
        outer = time.monotonic() + 20
        with http.deadline_scope(outer):
            with http.deadline_scope(time.monotonic() + 1):
                self.assertLessEqual(self.http.call_timeout()[1], 1)
                other = threading.Thread(target=lambda: seen.append(
                    self.http.call_timeout()))
                other.start()
                other.join(10)
            self.assertGreater(self.http.call_timeout()[1], 11)
        self.assertEqual([(2.5, 12.0)], seen)

    def test_calls_carry_the_timeouts(self):
        mocked = self.useFixture(rm_fixture.Fixture())
        mocked.get(URL, text='')
        self.http.get(URL)
        self.assertEqual((2.5, 12.0), mocked.request_history[0].timeout)


class AgentSessionTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.mocked = self.useFixture(rm_fixture.Fixture())
        self.mocked.get(URL, status_code=401, json={})

    def test_a_401_is_not_resent(self):
        session = http.agent_session(session_opts(), 8)
        session.get(URL, auth=RenewableToken(), raise_exc=False)
        self.assertEqual(1, len(self.mocked.request_history))

    def test_keystoneauth_alone_would_resend(self):
        """What SendOnceSession turns off (so the test above can fail)."""
        ks_session.Session().get(URL, auth=RenewableToken(), raise_exc=False)
        self.assertEqual(2, len(self.mocked.request_history))

    def test_one_pool_as_wide_as_asked(self):
        session = http.agent_session(session_opts(), 50)
        self.assertIsInstance(session.session, http.PooledHTTPSession)
        for scheme in ('https://', 'http://'):
            adapter = session.session.adapters[scheme]
            self.assertEqual(50, adapter._pool_maxsize)
            self.assertEqual(0, adapter.max_retries.total)

    def test_tls_options(self):
        cases = [({}, True, None),
                 ({'insecure': True, 'cafile': '/ca.pem'}, False, None),
                 ({'cafile': '/ca.pem', 'certfile': '/c.pem'}, '/ca.pem',
                  '/c.pem'),
                 ({'certfile': '/c.pem', 'keyfile': '/k.pem'}, True,
                  ('/c.pem', '/k.pem'))]
        for values, verify, cert in cases:
            session = http.agent_session(session_opts(**values), 4)
            self.assertEqual((verify, cert), (session.verify, session.cert),
                             values)

    def test_environment_ca_bundle_is_used_when_verifying(self):
        self.useFixture(fixtures.EnvironmentVariable('REQUESTS_CA_BUNDLE',
                                                     '/env-ca.pem'))
        pooled = http.PooledHTTPSession(4, 1, 1)
        self.mocked.get(URL, text='')
        pooled.get(URL, verify=True)
        pooled.get(URL, verify='/own-ca.pem')
        self.assertEqual(['/env-ca.pem', '/own-ca.pem'],
                         [c.verify for c in self.mocked.request_history])


class EnvironmentProxyTest(oslotest_base.BaseTestCase):
    """The environment's proxies still apply, read once per host."""

    def setUp(self):
        super().setUp()
        for name, value in (('http_proxy', 'http://proxy.test:3128'),
                            ('no_proxy', 'nova-direct.test')):
            self.useFixture(fixtures.EnvironmentVariable(name, value))
        self.http = http.PooledHTTPSession(4, 1, 1)

    def test_proxy_and_no_proxy_are_honoured(self):
        self.assertFalse(self.http.trust_env)
        self.assertEqual('http://proxy.test:3128', self.http._proxies_for(
            'http://nova-r1.test/v2.1/servers/x')['http'])
        self.assertNotIn('http', self.http._proxies_for(
            'http://nova-direct.test/v2.1/servers/x'))

    def test_environment_is_read_once_per_host(self):
        with mock.patch.object(requests.utils, 'get_environ_proxies',
                               return_value={}) as lookup:
            for _ in range(3):
                self.http._proxies_for('http://nova-r1.test/v2.1/a')
                self.http._proxies_for('http://nova-r2.test/v2.1/b')
        self.assertEqual(2, lookup.call_count)
