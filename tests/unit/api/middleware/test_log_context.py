"""log_context: the request id in oslo.context's store, for one request."""

from oslo_context import context as oslo_context
import webob

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api.middleware import log_context

REQUEST_ID = 'req-6f1e2b5c-0c4e-4a57-9d59-3e0c8f1d2a11'


class StoreSpy(fakes.FakeApp):
    """Record the stored context's request id while the request runs."""

    def __call__(self, environ, start_response):
        self.stored = oslo_context.get_current().request_id
        return super().__call__(environ, start_response)


class RequestLogContextTest(base.TestCase):

    def call(self, app):
        req = webob.Request.blank('/')
        req.environ['openstack.request_id'] = REQUEST_ID
        return req.get_response(
            log_context.RequestLogContext.factory({})(app))

    def test_request_id_is_stored_during_the_request_only(self):
        app = StoreSpy()
        self.assertEqual(200, self.call(app).status_int)
        self.assertEqual(REQUEST_ID, app.stored)
        self.assertIsNone(oslo_context.get_current())

    def test_store_is_emptied_when_the_app_raises(self):
        app = StoreSpy(RuntimeError('boom'))
        self.assertRaises(RuntimeError, self.call, app)
        self.assertEqual(REQUEST_ID, app.stored)
        self.assertIsNone(oslo_context.get_current())
