"""A Keystone stand-in that counts what keystonemiddleware asks of it.

Just enough of the Identity v3 API for ``auth_token`` with a
``v3password`` service user, as keystonemiddleware 10+ talks to it:

- ``GET /`` and ``GET /v3``: version discovery (keystoneauth's, for the
  identity endpoint the middleware validates against);
- ``POST /v3/auth/tokens``: the service user's password authentication
  (201, the token in ``X-Subject-Token``, a catalog with the identity
  service pointing back here);
- ``GET /v3/auth/tokens``: the validation of a user token
  (``X-Subject-Token``), authenticated by the service token
  (``X-Auth-Token``): 200 with the token's body for a known token, 404
  otherwise. These are the calls :attr:`KeystoneStandIn.validations`
  counts.

It runs in a thread of the test process on a loopback port.
"""

import datetime
import http.server
import json
import threading
import uuid

import fixtures

SERVICE_USER = 'vmact'
SERVICE_PASSWORD = 'service-password-' + uuid.uuid4().hex


def _iso(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S.000000Z')


class KeystoneStandIn(fixtures.Fixture):
    """Serve the stand-in; count every request by kind."""

    def _setUp(self):
        self.lock = threading.Lock()
        self.calls = []
        self.tokens = {}
        self.service_tokens = set()
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                standin._handle(self, 'GET')

            def do_POST(self):
                standin._handle(self, 'POST')

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        thread = threading.Thread(target=self.httpd.serve_forever,
                                  name='keystone-standin', daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.httpd.server_close)
        self.addCleanup(self.httpd.shutdown)

    # What the tests read.

    @property
    def validations(self):
        """How many user-token validations keystonemiddleware asked for."""
        return self.count('validate')

    def count(self, kind=None):
        with self.lock:
            return sum(1 for k, _ in self.calls if kind in (None, k))

    def add_token(self, user='demo', project='demo',
                  roles=('member', 'reader')):
        """A new valid user token; returns its id."""
        token_id = 'user-token-' + uuid.uuid4().hex
        self.tokens[token_id] = (user, project, tuple(roles))
        return token_id

    # The API.

    def _handle(self, handler, method):
        path = handler.path.split('?', 1)[0].rstrip('/')
        length = int(handler.headers.get('Content-Length') or 0)
        body = handler.rfile.read(length) if length else b''
        if method == 'GET' and path in ('', '/v3'):
            kind, answer = 'discovery', self._discovery(path)
        elif method == 'POST' and path == '/v3/auth/tokens':
            kind, answer = 'authenticate', self._authenticate(body)
        elif method == 'GET' and path == '/v3/auth/tokens':
            kind, answer = 'validate', self._validate(handler.headers)
        else:
            kind, answer = 'other', (404, {}, {'error': {'code': 404}})
        with self.lock:
            self.calls.append((kind, '%s %s' % (method, handler.path)))
        status, headers, payload = answer
        data = json.dumps(payload).encode('utf-8')
        handler.send_response(status)
        handler.send_header('Content-Type', 'application/json')
        handler.send_header('Content-Length', str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _version(self):
        return {'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.url + '/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}

    def _discovery(self, path):
        if path == '/v3':
            return 200, {}, {'version': self._version()}
        return 300, {}, {'versions': {'values': [self._version()]}}

    def _catalog(self):
        return [{'type': 'identity', 'name': 'keystone', 'id': 'identity',
                 'endpoints': [
                     {'id': 'identity-%s' % interface, 'interface': interface,
                      'region': 'RegionOne', 'region_id': 'RegionOne',
                      'url': self.url + '/v3'}
                     for interface in ('public', 'internal', 'admin')]}]

    def _token_body(self, user, project, roles, methods):
        now = datetime.datetime.now(datetime.timezone.utc)
        return {'token': {
            'methods': methods,
            'user': {'id': user, 'name': user,
                     'domain': {'id': 'default', 'name': 'Default'}},
            'project': {'id': project, 'name': project,
                        'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'role-' + r, 'name': r} for r in roles],
            'issued_at': _iso(now),
            'expires_at': _iso(now + datetime.timedelta(hours=1)),
            'audit_ids': [uuid.uuid4().hex[:22]],
            'catalog': self._catalog()}}

    def _authenticate(self, body):
        try:
            user = json.loads(body)['auth']['identity']['password']['user']
        except (ValueError, KeyError, TypeError):
            return 400, {}, {'error': {'code': 400}}
        if (user.get('name') != SERVICE_USER
                or user.get('password') != SERVICE_PASSWORD):
            return 401, {}, {'error': {'code': 401}}
        token_id = 'service-token-' + uuid.uuid4().hex
        self.service_tokens.add(token_id)
        return 201, {'X-Subject-Token': token_id}, self._token_body(
            'vmact-service', 'service', ('service', 'admin'), ['password'])

    def _validate(self, headers):
        if headers.get('X-Auth-Token') not in self.service_tokens:
            return 401, {}, {'error': {'code': 401}}
        subject = headers.get('X-Subject-Token')
        if subject not in self.tokens:
            return 404, {}, {'error': {'code': 404,
                                       'title': 'Not Found'}}
        user, project, roles = self.tokens[subject]
        return 200, {'X-Subject-Token': subject}, self._token_body(
            user, project, roles, ['password'])
