"""The request-counting filter, and the count of Keystone validations."""

import webob
import webob.dec

from keystonemiddleware.auth_token import _exceptions as ksm_exceptions

from tests.unit import test_metrics
from vmact.api import middleware
from vmact.api.middleware import authtoken
from vmact.api.middleware import metrics as metrics_filter
from vmact import metrics


class FakeBackend(object):
    agent = 'scloudm'


class RequestMetricsTest(test_metrics.MetricsTestCase):

    def filtered(self, app):
        return metrics_filter.RequestMetrics(app)

    def requests(self):
        return {labels: counter._value.get() for labels, counter in
                metrics.get().requests._metrics.items()}

    def test_counts_the_status_the_app_answered_with_its_labels(self):
        seen = []

        @webob.dec.wsgify
        def app(req):
            seen.append(metrics.get().in_flight._value.get())
            req.environ[middleware.BACKEND_KEY] = FakeBackend()
            req.environ[metrics.ACTION_KEY] = 'os-stop'
            return webob.Response(status=207)

        response = webob.Request.blank('/').get_response(self.filtered(app))
        self.assertEqual(207, response.status_int)
        self.assertEqual([1], seen)
        self.assertEqual(0, metrics.get().in_flight._value.get())
        self.assertEqual({('scloudm', 'os-stop', '207'): 1}, self.requests())

    def test_an_answer_before_the_agent_is_chosen_is_labelled_none(self):
        app = self.filtered(webob.Response(status=401))
        webob.Request.blank('/').get_response(app)
        webob.Request.blank('/').get_response(app)
        self.assertEqual({('none', 'none', '401'): 2}, self.requests())

    def test_an_exception_counts_as_500_and_goes_on(self):
        def app(environ, start_response):
            raise RuntimeError('boom')

        self.assertRaises(RuntimeError, webob.Request.blank('/').get_response,
                          self.filtered(app))
        self.assertEqual({('none', 'none', '500'): 1}, self.requests())
        self.assertEqual(0, metrics.get().in_flight._value.get())


class FakeIdentityServer(object):
    www_authenticate_uri = 'http://keystone.test/v3'

    def __init__(self, error=None):
        self.error = error

    def verify_token(self, token, allow_expired=False):
        if self.error:
            raise self.error
        return {'token': token}


class KeystoneValidationsTest(test_metrics.MetricsTestCase):

    def results(self):
        return {labels[0]: counter._value.get() for labels, counter in
                metrics.get().keystone._metrics.items()}

    def test_each_validation_is_counted_by_its_result(self):
        valid = authtoken.CountedIdentityServer(FakeIdentityServer())
        self.assertEqual({'token': 't'}, valid.verify_token('t'))
        valid.verify_token('u')
        invalid = authtoken.CountedIdentityServer(FakeIdentityServer(
            ksm_exceptions.InvalidToken('no')))
        self.assertRaises(ksm_exceptions.InvalidToken,
                          invalid.verify_token, 't')
        down = authtoken.CountedIdentityServer(FakeIdentityServer(
            ksm_exceptions.ServiceError('down')))
        self.assertRaises(ksm_exceptions.ServiceError, down.verify_token, 't')
        self.assertEqual({'valid': 2, 'invalid': 1, 'error': 1},
                         self.results())
        self.assertEqual('http://keystone.test/v3',
                         valid.www_authenticate_uri)

    def test_auth_token_uses_the_counted_server(self):
        protocol = authtoken.AuthProtocol(
            lambda environ, start_response: [],
            {'www_authenticate_uri': 'http://keystone.test/v3',
             'delay_auth_decision': 'false'})
        self.assertIsInstance(protocol._identity_server,
                              authtoken.CountedIdentityServer)
