"""fault: what the libraries below answer, rendered in the error format."""

import json

from keystoneauth1 import exceptions as ksa_exceptions
import webob
import webob.exc

from tests.unit.api import middleware as fakes
from tests.unit import base
from vmact.api.middleware import fault

WWW_AUTHENTICATE = 'Keystone uri="http://keystone.test/v3"'
UNAUTHORIZED_MSG = 'The request you have made requires authentication.'


def keystonemiddleware_401():
    """The 401 keystonemiddleware raises itself for an invalid token."""
    body = {'error': {'code': 401, 'title': 'Unauthorized',
                      'message': UNAUTHORIZED_MSG}}
    return webob.exc.HTTPUnauthorized(
        body=json.dumps(body), content_type='application/json',
        charset='UTF-8', headers=[('WWW-Authenticate', WWW_AUTHENTICATE)])


class FaultWrapperTest(base.TestCase):

    def call(self, response):
        app = fault.FaultWrapper.factory({})(fakes.FakeApp(response))
        return webob.Request.blank('/').get_response(app)

    def assertFormat(self, response, code, reason=None):
        self.assertEqual(code, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual({'msg', 'code', 'reason'}, set(response.json))
        self.assertEqual(code, response.json['code'])
        if reason:
            self.assertEqual(reason, response.json['reason'])
        return response.json

    def test_keystonemiddleware_401_is_rendered(self):
        response = self.call(keystonemiddleware_401())
        body = self.assertFormat(response, 401, 'Unauthorized')
        self.assertEqual(UNAUTHORIZED_MSG, body['msg'])
        self.assertEqual([WWW_AUTHENTICATE],
                         response.headers.getall('WWW-Authenticate'))

    def test_unauthorized_status_400(self):
        self.flags(group='api', unauthorized_status=400)
        for answer in (keystonemiddleware_401(), webob.exc.HTTPUnauthorized()):
            body = self.assertFormat(self.call(answer), 400, 'Unauthorized')
            self.assertEqual(UNAUTHORIZED_MSG, body['msg'])

    def test_bare_401_of_a_vmact_filter_is_rendered(self):
        self.assertFormat(self.call(webob.exc.HTTPUnauthorized()), 401)

    def test_a_401_already_in_the_format_is_kept(self):
        """A batch whose servers all failed with 401 keeps its failures."""
        own = webob.Response(status=401, content_type='application/json',
                             charset='UTF-8')
        own.text = json.dumps({'msg': 'os-stop failed for 1 of 1 servers.',
                               'code': 401, 'reason': 'Unauthorized',
                               'failures': [], 'succeeded': []})
        self.flags(group='api', unauthorized_status=400)
        response = self.call(own)
        self.assertEqual(401, response.status_int)
        self.assertIn('failures', response.json)

    def test_keystonemiddleware_503_is_rendered(self):
        answer = webob.exc.HTTPServiceUnavailable(
            'The Keystone service is temporarily unavailable.')
        self.assertIn('unavailable',
                      self.assertFormat(self.call(answer), 503)['msg'])

    def test_keystoneauth_errors_escaping_are_503(self):
        for error in (ksa_exceptions.ConnectTimeout('read timed out'),
                      ksa_exceptions.ConnectFailure('refused'),
                      ksa_exceptions.SSLError('handshake')):
            body = self.assertFormat(self.call(error), 503)
            self.assertIn('unavailable', body['msg'])

    def test_other_exceptions_are_500_without_details(self):
        body = self.assertFormat(self.call(RuntimeError('secret detail')),
                                 500)
        self.assertNotIn('secret', body['msg'])

    def test_text_errors_are_rendered_and_kept_headers_stay(self):
        answer = webob.exc.HTTPRequestEntityTooLarge()
        answer.headers['Retry-After'] = '5'
        response = self.call(answer)
        self.assertFormat(response, 413)
        self.assertEqual('5', response.headers['Retry-After'])

    def test_success_and_json_errors_pass_unchanged(self):
        own = webob.Response(status=404, content_type='application/json',
                             charset='UTF-8', text='{"msg": "x"}')
        self.assertEqual(b'{"msg": "x"}', self.call(own).body)
        self.assertEqual(b'ok', self.call(None).body)
