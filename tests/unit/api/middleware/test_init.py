"""vmact.api.middleware.Filter: the base of every vmact filter."""

import webob
import webob.dec

from tests.unit import base
from vmact.api import middleware


@webob.dec.wsgify
def fake_app(req):
    return webob.Response('app saw %s' % req.path_info)


class RecordingFilter(middleware.Filter):
    """Marks the request, records what process_response receives."""

    answer = None

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        self.responses = []

    def process_request(self, req):
        req.environ['recording.seen'] = True
        return self.answer

    def process_response(self, response, req):
        self.responses.append((response.status_int, req.path_info))
        response.headers['X-Seen'] = str(req.environ['recording.seen'])
        return response


class FilterTest(base.TestCase):

    def test_request_goes_through_and_the_response_gets_the_request(self):
        wrapped = RecordingFilter(fake_app)
        response = webob.Request.blank('/a').get_response(wrapped)
        self.assertEqual((200, b'app saw /a', 'True'),
                         (response.status_int, response.body,
                          response.headers['X-Seen']))
        self.assertEqual([(200, '/a')], wrapped.responses)

    def test_an_answer_from_process_request_skips_the_app(self):
        wrapped = RecordingFilter(fake_app)
        wrapped.answer = webob.Response(status=418)
        response = webob.Request.blank('/a').get_response(wrapped)
        self.assertEqual(418, response.status_int)
        self.assertEqual([], wrapped.responses)

    def test_factory_builds_it_from_paste_config(self):
        factory = RecordingFilter.factory({'shared': 'g'}, own='l')
        wrapped = factory(fake_app)
        self.assertIsInstance(wrapped, RecordingFilter)
        self.assertIs(fake_app, wrapped.application)
        self.assertEqual({'shared': 'g', 'own': 'l'}, wrapped.conf)
        response = webob.Request.blank('/b').get_response(wrapped)
        self.assertEqual(b'app saw /b', response.body)

    def test_environ_keys_are_distinct_and_namespaced(self):
        self.assertEqual('vmact.context', middleware.CONTEXT_KEY)
        self.assertEqual('vmact.backend', middleware.BACKEND_KEY)
