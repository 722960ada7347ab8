"""A small fake Keystone v3 on loopback.

Enough for keystonemiddleware (its own password authentication, then
validation of each user token) and for a keystoneauth ``password`` plugin
(version discovery, password authentication)::

    GET  /  and  /v3                 version discovery
    POST /v3/auth/tokens             password authentication -> token
    GET  /v3/auth/tokens             validate X-Subject-Token

Every token's catalog carries the ``compute`` endpoints given at
construction (``{region: url}``, every interface) and an ``identity``
endpoint pointing back at this fake. Users are added with
:meth:`FakeKeystone.add_user`; tokens are issued by password
authentication or directly by :meth:`FakeKeystone.issue_token`.
:meth:`FakeKeystone.token_info` answers the fake Nova's scoping question.
Requests are counted per (method, path) in :attr:`FakeKeystone.hits`.
"""

import collections
import http.server
import json
import threading
import uuid

from tests.fakes import httpserver
from tests.support import keystone as keystone_bodies


class FakeKeystone(httpserver.LoopbackServer):
    """The fake identity service; see the module docstring.

    :param compute: ``{region: compute endpoint URL}`` for every catalog.
    :param token_ttl: seconds a token lives.
    :param name_unknown_tokens: a 404 names the token it could not find,
        as Keystone's does (False: it does not).
    """

    def __init__(self, compute=None, token_ttl=3600, port=0,
                 name='fake-keystone', name_unknown_tokens=True):
        super().__init__(httpserver.handler_class(
            'FakeKeystoneHandler', 'FakeKeystone/1.0', 'HTTP/1.0'), name, port)
        self.compute = dict(compute or {})
        self.token_ttl = token_ttl
        self.name_unknown_tokens = name_unknown_tokens
        self._lock = threading.Lock()
        self._users = {}
        self._tokens = {}
        self.hits = collections.Counter()

    @property
    def auth_url(self):
        return self.url + '/v3'

    def add_user(self, name, password, project, roles=('member', 'reader'),
                 user_id=None):
        """Register a user with a role list on one project."""
        user = {'id': user_id or uuid.uuid4().hex, 'name': name,
                'password': password, 'project': project,
                'roles': list(roles)}
        with self._lock:
            self._users[name] = user
        return user

    def issue_token(self, user='user', project='demo',
                    roles=('member', 'reader'), expires=None, user_id=None):
        """Issue a project-scoped token directly; returns its ID."""
        token_id = 'tok-' + uuid.uuid4().hex
        body = keystone_bodies.token_body(
            user, project, roles, catalog={'compute': self.compute},
            auth_url=self.auth_url, user_id=user_id, ttl=self.token_ttl,
            expires=expires)
        with self._lock:
            self._tokens[token_id] = (body, project, tuple(roles))
        return token_id

    def revoke(self, token_id):
        with self._lock:
            self._tokens.pop(token_id, None)

    def tokens(self, project=None):
        """IDs of every live token (of ``project``, when given)."""
        with self._lock:
            return [t for t, (_, scope, _) in self._tokens.items()
                    if project is None or scope == project]

    def token_info(self, token_id):
        """(project_id, roles) of a live token, or None."""
        with self._lock:
            found = self._tokens.get(token_id)
        return None if found is None else (found[1], found[2])

    # Serving.

    def handle(self, request):
        path = request.path.split('?', 1)[0].rstrip('/') or '/'
        with self._lock:
            self.hits[(request.command, path)] += 1
        length = int(request.headers.get('Content-Length') or 0)
        body = request.rfile.read(length) if length else b''
        if request.command == 'GET' and path == '/':
            self._json(request, 300, keystone_bodies.versions(self.auth_url))
        elif request.command == 'GET' and path == '/v3':
            self._json(request, 200, keystone_bodies.version(self.auth_url))
        elif path == '/v3/auth/tokens' and request.command == 'POST':
            self._authenticate(request, body)
        elif path == '/v3/auth/tokens' and request.command == 'GET':
            self._validate(request)
        else:
            self._error(request, 404, 'Not Found')

    def _authenticate(self, request, raw):
        try:
            auth = json.loads(raw)['auth']
            password = auth['identity']['password']['user']
        except (ValueError, KeyError, TypeError):
            self._error(request, 400, 'Expecting password authentication')
            return
        with self._lock:
            user = self._users.get(password.get('name')) or next(
                (u for u in self._users.values()
                 if u['id'] == password.get('id')), None)
        if user is None or user['password'] != password.get('password'):
            self._error(request, 401, 'The request you have made requires '
                        'authentication.')
            return
        token_id = self.issue_token(user['name'], user['project'],
                                    user['roles'], user_id=user['id'])
        body = self._tokens[token_id][0]
        self._json(request, 201, body, {'X-Subject-Token': token_id})

    def _validate(self, request):
        if self.token_info(request.headers.get('X-Auth-Token')) is None:
            self._error(request, 401, 'The request you have made requires '
                        'authentication.')
            return
        subject = request.headers.get('X-Subject-Token')
        with self._lock:
            found = self._tokens.get(subject)
        if found is None:
            self._error(request, 404, 'Could not find token: %s' % subject
                        if self.name_unknown_tokens
                        else 'Could not find token.')
            return
        self._json(request, 200, found[0], {'X-Subject-Token': subject})

    def _error(self, request, status, message):
        self._json(request, status, {'error': {
            'code': status, 'message': message,
            'title': http.server.BaseHTTPRequestHandler.responses.get(
                status, ('Error',))[0]}})

    def _json(self, request, status, body, headers=None):
        payload = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header('Content-Type', 'application/json')
            request.send_header('Content-Length', str(len(payload)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(payload)
        except OSError:
            request.close_connection = True
