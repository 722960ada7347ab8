"""vmact.context.RequestContext: oslo.context's, plus the auth plugin."""

from tests.unit import base
from vmact import context


class RequestContextTest(base.TestCase):

    def test_carries_the_auth_plugin(self):
        plugin = object()
        ctx = context.RequestContext(auth_plugin=plugin, project_id='demo',
                                     user_id='bob', overwrite=False)
        self.assertIs(plugin, ctx.auth_plugin)
        self.assertEqual(('demo', 'bob'), (ctx.project_id, ctx.user_id))

    def test_no_plugin_by_default(self):
        self.assertIsNone(context.RequestContext(overwrite=False).auth_plugin)

    def test_oslo_context_from_environ_builds_it_with_the_plugin(self):
        plugin = object()
        ctx = context.RequestContext.from_environ(
            {'HTTP_X_PROJECT_ID': 'demo', 'HTTP_X_USER_ID': 'bob',
             'HTTP_X_ROLES': 'member,reader'},
            auth_plugin=plugin, overwrite=False)
        self.assertIsInstance(ctx, context.RequestContext)
        self.assertIs(plugin, ctx.auth_plugin)
        self.assertEqual(['member', 'reader'], ctx.roles)
