"""What the HTTP layer hands the app: query strings, raw '#', broken bodies.

Through the whole pipeline (noauth, simulator). The environ keys are the
ones the servers set: REQUEST_URI (waitress, mod_wsgi), RAW_URI
(gunicorn), a ``wsgi.input`` that raises OSError as mod_wsgi's does when
Apache's read of the body fails.
"""

import io
import logging

import fixtures

from tests.unit.api import test_vm_act
from tests.unit import base

PATH = test_vm_act.PATH
DEMO1 = test_vm_act.DEMO1
STOP_BODY = b'{"os-stop": null}'


class FailingInput(io.RawIOBase):
    """mod_wsgi's wsgi.input after the client went away mid-body."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise OSError('Apache/mod_wsgi request data read error: Partial '
                      'results are valid but processing is incomplete.')


class HttpInputTest(test_vm_act.Helpers, base.PipelineTestCase):

    def post(self, path, raw=STOP_BODY, environ=None):
        req = base.blank_request(path, method='POST', token=self.token(),
                                 raw=raw)
        for key, value in (environ or {}).items():
            if value is None:
                req.environ.pop(key, None)
            else:
                req.environ[key] = value
        return req.get_response(self.load())

    def test_post_with_unknown_query_parameter_is_400_naming_it(self):
        response = self.post(PATH + '/demo/RegionOne/%s?b=1' % DEMO1)
        self.assertRefused(response, 400, '"b"')

    def test_post_body_form_with_query_parameter_is_400(self):
        response = self.post(
            PATH + '?servers=x', raw=b'{"tenant_id": "demo", "region": '
            b'"RegionOne", "servers": "%s", "os-stop": null}'
            % DEMO1.encode())
        self.assertRefused(response, 400, '"servers"')

    def test_raw_hash_in_request_uri_is_refused_not_truncated(self):
        # waitress and Apache hand PATH_INFO over without "#..."; an
        # encoded one (%23) is the client's own business.
        path = PATH + '/demo/RegionOne/' + DEMO1
        response = self.post(path, environ={
            'REQUEST_URI': path + '#-2'})
        self.assertRefused(response, 400, 'raw "#"', '%23')
        response = self.post(path, environ={'REQUEST_URI': path + '%23'})
        self.assertOK(response)

    def test_encoded_slash_in_request_uri_is_refused_not_split(self):
        # PATH_INFO has %2F decoded: "RegionOne%2F<id>" would route as
        # region RegionOne and server <id>.
        path = PATH + '/demo/RegionOne/' + DEMO1
        for raw in (PATH + '/demo/RegionOne%2F' + DEMO1,
                    PATH + '/demo/RegionOne%2f' + DEMO1 + '?x=1'):
            response = self.post(path, environ={'REQUEST_URI': raw})
            self.assertRefused(response, 400, 'encoded "/"', '%2F')
        # In the query string it is no separator: only the unknown
        # parameter is refused.
        self.assertRefused(self.post(path + '?note=a%2Fb'), 400, '"note"')

    def test_raw_hash_in_gunicorn_raw_uri_is_refused(self):
        path = PATH + '/demo/RegionOne/' + DEMO1
        response = self.post(path, environ={'REQUEST_URI': None,
                                            'RAW_URI': path + '#'})
        self.assertRefused(response, 400, 'raw "#"')

    def test_raw_hash_in_status_read_query_is_refused(self):
        path = PATH + '/demo/RegionOne?servers=' + DEMO1
        req = base.blank_request(path, method='GET', token=self.token())
        req.environ['REQUEST_URI'] = path + '#,off1'
        self.assertRefused(req.get_response(self.load()), 400, 'raw "#"')

    def test_body_shorter_than_content_length_is_400_with_one_warning(self):
        logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s'))
        req = base.blank_request(PATH + '/demo/RegionOne/' + DEMO1,
                                 method='POST', token=self.token())
        req.environ['wsgi.input'] = io.BytesIO(b'{"os-stop"')
        req.environ['CONTENT_LENGTH'] = str(len(STOP_BODY))
        self.assertRefused(req.get_response(self.load()), 400,
                           'Content-Length')
        self.assertNoTraceback(logs.output)

    def test_mod_wsgi_read_error_is_400_with_one_warning(self):
        logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s'))
        req = base.blank_request(PATH + '/demo/RegionOne/' + DEMO1,
                                 method='POST', token=self.token())
        req.environ['wsgi.input'] = io.BufferedReader(FailingInput())
        req.environ['CONTENT_LENGTH'] = '17'
        self.assertRefused(req.get_response(self.load()), 400,
                           'could not be read whole')
        self.assertNoTraceback(logs.output)

    def assertNoTraceback(self, output):
        self.assertNotIn('Traceback', output)
        self.assertNotIn('ERROR', output)
        warnings = [line for line in output.splitlines()
                    if 'body unreadable' in line]
        self.assertEqual(1, len(warnings), output)
