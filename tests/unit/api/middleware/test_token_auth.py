"""token_auth: the request context, built from the identity headers."""

import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api import middleware
from vmact.api.middleware import noauth
from vmact.api.middleware import token_auth
from vmact import context

REQUEST_ID = 'req-0b7d3c38-5a0c-4d3e-9a53-2b1f5f7c9e10'
CONFIRMED = {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'u1',
             'X-User-Name': 'alice', 'X-Project-Id': 'p1',
             'X-Project-Name': 'tenant-a', 'X-Roles': 'member,reader'}


class TokenAuthTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.app = fakes.FakeApp()
        self.filter = token_auth.TokenAuth.factory({})(self.app)

    def call(self, headers, app=None, **environ):
        req = webob.Request.blank('/', headers=headers)
        req.environ['openstack.request_id'] = REQUEST_ID
        req.environ.update(environ)
        return req.get_response(app or self.filter)

    def context_below(self):
        return self.app.requests[-1].environ[middleware.CONTEXT_KEY]

    def test_context_from_keystonemiddlewares_headers(self):
        plugin = object()
        response = self.call(CONFIRMED, **{'keystone.token_auth': plugin})
        self.assertEqual(200, response.status_int)
        ctx = self.context_below()
        self.assertIsInstance(ctx, context.RequestContext)
        self.assertEqual(('u1', 'alice', 'p1', 'tenant-a'),
                         (ctx.user_id, ctx.user_name, ctx.project_id,
                          ctx.project_name))
        self.assertEqual(['member', 'reader'], ctx.roles)
        self.assertEqual(REQUEST_ID, ctx.request_id)
        self.assertIs(plugin, ctx.auth_plugin)

    def test_unconfirmed_identity_is_401(self):
        for headers in ({}, dict(CONFIRMED, **{'X-Identity-Status':
                                               'Invalid'}),
                        dict(CONFIRMED, **{'X-Service-Identity-Status':
                                           'Invalid'})):
            self.assertEqual(401, self.call(headers).status_int)
        self.assertEqual([], self.app.requests)

    def test_noauth_headers_give_the_same_context(self):
        """noauth in front: the context is built here too, the same way."""
        self.flags(group='api', enabled_agents=['scloudm'])
        self.agent('scloudm', backend='simulator', regions=['RegionOne'])
        stack = noauth.NoAuth.factory({})(self.filter)
        response = self.call({'X-Auth-Token': 'admin:demo'}, app=stack)
        self.assertEqual(200, response.status_int)
        ctx = self.context_below()
        self.assertEqual(('admin', 'demo', ['admin'], REQUEST_ID),
                         (ctx.user_id, ctx.project_id, ctx.roles,
                          ctx.request_id))
        self.assertIsNone(ctx.auth_plugin)
