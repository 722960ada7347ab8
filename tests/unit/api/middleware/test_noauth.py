"""noauth: keystonemiddleware's identity headers from a "user[:project]"."""

import fixtures
import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api.middleware import noauth
from vmact import exception


class NoAuthTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='api', enabled_agents=['scloudm'],
                   default_agent='scloudm')
        self.agent('scloudm', backend='simulator', regions=['RegionOne'])
        self.app = fakes.FakeApp()

    def make_filter(self):
        return noauth.NoAuth.factory({})(self.app)

    def headers_below(self, token, **headers):
        """The identity headers the app below received."""
        req = webob.Request.blank('/', headers=dict(headers))
        if token is not None:
            req.headers['X-Auth-Token'] = token
        response = req.get_response(self.make_filter())
        self.assertEqual(200, response.status_int)
        return {k: v for k, v in self.app.requests[-1].headers.items()
                if k.startswith(('X-Identity', 'X-User', 'X-Project',
                                 'X-Roles', 'X-Service', 'X-Tenant'))}

    def test_user_and_project(self):
        self.assertEqual({'X-Identity-Status': 'Confirmed',
                          'X-User-Id': 'bob', 'X-Project-Id': 'alt',
                          'X-Roles': 'member,reader'},
                         self.headers_below('bob:alt'))

    def test_user_alone_is_its_own_project(self):
        self.assertEqual('demo', self.headers_below('demo')['X-Project-Id'])

    def test_user_admin_gets_the_admin_role(self):
        self.assertEqual('admin', self.headers_below('admin')['X-Roles'])
        self.assertEqual('admin',
                         self.headers_below('admin:demo')['X-Roles'])

    def test_identity_headers_of_the_client_are_dropped(self):
        self.assertEqual(
            {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'demo',
             'X-Project-Id': 'demo', 'X-Roles': 'member,reader'},
            self.headers_below('demo', **{
                'X-Roles': 'admin', 'X-Project-Name': 'alt',
                'X-Tenant-Id': 'alt', 'X-Service-Identity-Status': 'Invalid',
                'X-Service-Roles': 'service', 'X-User-Name': 'root'}))

    def test_missing_or_malformed_token_is_401(self):
        for token in (None, '', 'a:b:c', ':demo', 'demo:', 'x' * 65):
            req = webob.Request.blank('/')
            if token is not None:
                req.headers['X-Auth-Token'] = token
            self.assertEqual(401, req.get_response(
                self.make_filter()).status_int)
        self.assertEqual([], self.app.requests)

    def test_refuses_to_start_with_a_real_backend(self):
        self.agent('scloudm', backend='nova')
        error = self.assertRaises(exception.ConfigError, self.make_filter)
        self.assertIn('[scloudm] backend = nova', str(error))

    def test_warns_at_start(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='vmact.api.middleware.noauth'))
        self.make_filter()
        self.assertIn('tokens are NOT validated', logger.output)
