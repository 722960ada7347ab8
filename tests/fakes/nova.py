"""A fault-injecting fake Nova on loopback that records every request.

It speaks the two compute calls vmact makes::

    GET  [/<prefix>]/v2.1/servers/{id}          server show
    POST [/<prefix>]/v2.1/servers/{id}/action   os-start, os-stop, reboot

An optional first path segment (``/RegionTwo/v2.1/...``) lets one fake
serve several catalog regions; it is recorded as :attr:`Call.prefix`.

Usage::

    with FakeNova() as nova:
        nova.add_server('s1', tenant_id='demo', status='SHUTOFF')
        nova.add_fault(server='s2', status=503)          # every call on s2
        nova.add_fault(method='POST', delay=2, times=1)  # the next POST
        ...  # point a catalog at nova.endpoint()
        assert nova.actions('s1') == ['os-start']

Behaviour:

* Servers are registered with :meth:`FakeNova.add_server`; an unknown ID
  is a 404 ``itemNotFound``, as in Nova. ``GET .../servers/detail`` is
  Nova's server list (``{"servers": [...]}``), not a server. With
  ``uuid_any_case=True`` a UUID finds its server in any letter case, as
  Nova on MySQL does (the answer names the ID as registered).
* With a ``token_info`` callable (e.g. :meth:`FakeKeystone.token_info`),
  the fake scopes like Nova: an unknown ``X-Auth-Token`` is a 401, and a
  token without a role in ``admin_roles`` sees only servers of its own
  project (others are 404). Without it, every token sees every server,
  like an admin, so the caller's own ownership check is what is tested.
* An accepted action answers 202 and moves the server to the action's
  target state at once (ACTIVE for os-start and reboot, SHUTOFF for
  os-stop). With ``strict_states=True`` an action that does not apply
  (os-start on ACTIVE, os-stop on SHUTOFF) is a 409, as in Nova.
* :meth:`FakeNova.add_fault` injects faults per server, per method, per
  action, for all calls or the next ``times`` ones: an error status
  (400/404/409/500/503 ... with Nova's error body), a delay before
  answering, a hang (no answer until ``hang_seconds`` pass or the fake
  stops), or a dropped connection (the request is read, then the socket
  is closed without an answer). :meth:`FakeNova.refuse` stops listening
  (connection refused) and :meth:`FakeNova.listen` resumes on the port.
* Every request is recorded as a :class:`Call` once its body is read,
  including faulted ones, with ``answered`` set once the response was
  written completely. :meth:`FakeNova.calls`, :meth:`FakeNova.actions`
  and :meth:`FakeNova.action_counts` read the log.

``keep_alive=False`` answers HTTP/1.0 and closes every connection after
its answer, so a test can count the connections its client leaves open.
"""

import collections
import dataclasses
import http.server
import json
import re
import threading
import time
import typing

from oslo_utils import uuidutils

from tests.fakes import httpserver

API_VERSION = 'v2.1'
ACTIONS = ('os-start', 'os-stop', 'reboot')
TARGET_STATUS = {'os-start': 'ACTIVE', 'os-stop': 'SHUTOFF',
                 'reboot': 'ACTIVE'}
POWER_STATE = {'ACTIVE': 1, 'SHUTOFF': 4, 'PAUSED': 3, 'SUSPENDED': 7,
               'ERROR': 0}
ERROR_KEYS = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
              404: 'itemNotFound', 409: 'conflictingRequest',
              413: 'overLimit'}

_PATH = re.compile(r'^(?:/(?P<prefix>[^/]+))?/v2\.1/servers/(?P<server>[^/]+)'
                   r'(?P<action>/action)?$')


@dataclasses.dataclass
class Server:
    """One fake server, as server show returns it."""

    id: str
    tenant_id: str
    status: str = 'ACTIVE'
    task_state: typing.Optional[str] = None

    def as_dict(self):
        return {'id': self.id, 'tenant_id': self.tenant_id,
                'status': self.status,
                'OS-EXT-STS:task_state': self.task_state,
                'OS-EXT-STS:power_state': POWER_STATE.get(self.status, 0),
                'OS-EXT-STS:vm_state': self.status.lower()}


@dataclasses.dataclass
class Fault:
    """A fault rule; see :meth:`FakeNova.add_fault`."""

    server: typing.Optional[str] = None
    method: typing.Optional[str] = None
    action: typing.Optional[str] = None
    status: typing.Optional[int] = None
    delay: float = 0
    hang: bool = False
    drop: bool = False
    times: typing.Optional[int] = None
    message: typing.Optional[str] = None
    hits: int = 0

    def matches(self, call):
        return ((self.server is None or self.server == call.server)
                and (self.method is None or self.method == call.method)
                and (self.action is None or self.action == call.action)
                and (self.times is None or self.hits < self.times))


@dataclasses.dataclass
class Call:
    """One request the fake received.

    ``path`` is the raw request target (query included), ``server`` the
    ID it names (None when the path is not a server path), ``action`` the
    action key of a POST body, ``answered`` the status written, or None
    when no complete answer was written (hang cut short, dropped).
    """

    method: str
    path: str
    headers: typing.Dict[str, str]
    body: bytes
    prefix: typing.Optional[str] = None
    server: typing.Optional[str] = None
    action: typing.Optional[str] = None
    action_body: typing.Any = None
    received_at: float = 0.0
    answered: typing.Optional[int] = None
    applied: bool = False

    @property
    def request_id(self):
        """The caller's X-OpenStack-Request-ID, or None."""
        return self.header('X-OpenStack-Request-ID')

    @property
    def token(self):
        return self.header('X-Auth-Token')

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class FakeNova(httpserver.LoopbackServer):
    """The fake compute service; see the module docstring.

    :param token_info: ``callable(token) -> (project_id, roles)`` or None
        for an unknown token; enables Nova-like scoping and 401s.
    :param admin_roles: roles that see every project's servers.
    :param strict_states: 409 for an action that does not apply.
    :param keep_alive: HTTP/1.1 keep-alive (True) or one answer per
        connection (False).
    :param hang_seconds: how long a hung call waits at most.
    :param uuid_any_case: find a server by its UUID in any letter case.
    """

    def __init__(self, token_info=None, admin_roles=('admin',),
                 strict_states=False, keep_alive=True, hang_seconds=60.0,
                 port=0, name='fake-nova', uuid_any_case=False):
        handler = httpserver.handler_class(
            'FakeNovaHandler', 'FakeNova/1.0',
            'HTTP/1.1' if keep_alive else 'HTTP/1.0')
        super().__init__(handler, name, port)
        self.token_info = token_info
        self.admin_roles = {r.lower() for r in admin_roles}
        self.strict_states = strict_states
        self.hang_seconds = hang_seconds
        self.uuid_any_case = uuid_any_case
        self._state_lock = threading.Lock()
        self._servers = {}
        self._faults = []
        self._calls = []
        self._in_flight = 0
        self._released = threading.Event()

    # Set-up.

    def endpoint(self, prefix=None):
        """The compute endpoint URL to put in a catalog."""
        middle = '/%s' % prefix if prefix else ''
        return '%s%s/%s' % (self.url, middle, API_VERSION)

    def add_server(self, server_id, tenant_id, status='ACTIVE',
                   task_state=None):
        """Register (or replace) a server; returns it."""
        server = Server(server_id, tenant_id, status, task_state)
        with self._state_lock:
            self._servers[server_id] = server
        return server

    def add_servers(self, server_ids, tenant_id, status='ACTIVE'):
        for server_id in server_ids:
            self.add_server(server_id, tenant_id, status)

    def server(self, server_id):
        """The registered server (its current state), or None."""
        with self._state_lock:
            server = self._servers.get(server_id)
            return dataclasses.replace(server) if server else None

    def add_fault(self, server=None, method=None, action=None, status=None,
                  delay=0, hang=False, drop=False, times=None,
                  message=None):
        """Inject a fault into the calls that match; returns the rule.

        Match on ``server`` (ID), ``method`` ('GET' or 'POST') and
        ``action`` (e.g. 'reboot'); None matches anything. ``times``
        limits the rule to that many calls. The rule waits ``delay``
        seconds, then: ``hang`` waits until ``hang_seconds`` pass or the
        fake stops, then closes the connection unanswered; ``drop`` closes
        it unanswered at once; ``status`` answers that status with Nova's
        error body (``message`` as its text); otherwise the call proceeds
        normally (a pure delay). The newest matching rule wins.
        """
        fault = Fault(server=server, method=method, action=action,
                      status=status, delay=delay, hang=hang, drop=drop,
                      times=times, message=message)
        with self._state_lock:
            self._faults.insert(0, fault)
        return fault

    def clear_faults(self):
        with self._state_lock:
            del self._faults[:]

    def reset(self):
        """Forget calls and faults (servers are kept)."""
        with self._state_lock:
            del self._calls[:]
            del self._faults[:]

    def before_stop(self):
        self._released.set()

    def release(self):
        """Let every hung call end now (they close unanswered)."""
        self._released.set()
        self._released = threading.Event()

    # The log.

    def calls(self, method=None, server=None):
        """Recorded calls, oldest first, optionally filtered."""
        with self._state_lock:
            return [c for c in self._calls
                    if (method is None or c.method == method)
                    and (server is None or c.server == server)]

    def actions(self, server=None):
        """The action keys POSTed, oldest first (for one server or all)."""
        return [c.action for c in self.calls('POST', server)]

    def action_counts(self):
        """{server: number of action POSTs received}."""
        return collections.Counter(c.server for c in self.calls('POST'))

    def in_flight(self):
        """Calls being served right now (read, not yet fully answered)."""
        with self._state_lock:
            return self._in_flight

    # Serving.

    def handle(self, request):
        call = self._read(request)
        with self._state_lock:
            self._calls.append(call)
            self._in_flight += 1
            fault = next((f for f in self._faults if f.matches(call)), None)
            if fault is not None:
                fault.hits += 1
        try:
            self._serve(request, call, fault)
        finally:
            with self._state_lock:
                self._in_flight -= 1

    def _read(self, request):
        length = int(request.headers.get('Content-Length') or 0)
        body = request.rfile.read(length) if length else b''
        call = Call(method=request.command, path=request.path,
                    headers=dict(request.headers.items()), body=body,
                    received_at=time.monotonic())
        match = _PATH.match(request.path)
        if match:
            call.prefix = match.group('prefix')
            call.server = match.group('server')
            if request.command == 'POST' and match.group('action'):
                try:
                    call.action_body = json.loads(body or b'null')
                except ValueError:
                    call.action_body = None
                if isinstance(call.action_body, dict) and \
                        len(call.action_body) == 1:
                    call.action = next(iter(call.action_body))
        return call

    def _serve(self, request, call, fault):
        if fault is not None:
            if fault.delay:
                self._released.wait(fault.delay)
            if fault.hang:
                self._released.wait(self.hang_seconds)
                request.close_connection = True
                return
            if fault.drop:
                request.close_connection = True
                return
            if fault.status is not None:
                self._error(request, call, fault.status, fault.message)
                return
        match = _PATH.match(call.path)
        if match is None or call.method not in ('GET', 'POST') or (
                (call.method == 'POST') != bool(match.group('action'))):
            self._error(request, call, 404, 'The resource could not be '
                        'found.')
            return
        scope = self._scope(call)
        if scope is False:
            self._error(request, call, 401, 'The request you have made '
                        'requires authentication.')
            return
        with self._state_lock:
            if call.method == 'GET' and call.server == 'detail':
                self._json(request, call, 200, {'servers': [
                    s.as_dict() for s in self._servers.values()
                    if scope is None or s.tenant_id == scope]})
                return
            server = self._find(call.server)
            visible = server is not None and (
                scope is None or server.tenant_id == scope)
            if visible and call.method == 'GET':
                self._json(request, call, 200, {'server': server.as_dict()})
                return
            if not visible:
                outcome = (404, 'Instance %s could not be found.'
                           % call.server)
            else:
                outcome = self._apply(server, call)
        if outcome[0] == 202:
            self._answer(request, call, 202, b'', None)
        else:
            self._error(request, call, *outcome)

    def _find(self, server_id):
        """The server ``server_id`` reaches (state lock held), or None."""
        server = self._servers.get(server_id)
        if server is None and self.uuid_any_case and \
                uuidutils.is_uuid_like(server_id):
            server = next((s for s in self._servers.values()
                           if s.id.lower() == server_id.lower()), None)
        return server

    def _scope(self, call):
        """None: sees every project; a project ID; False: bad token."""
        if self.token_info is None:
            return None
        info = self.token_info(call.token)
        if info is None:
            return False
        project, roles = info
        if self.admin_roles & {r.lower() for r in roles}:
            return None
        return project

    def _apply(self, server, call):
        """Act on ``server`` (state lock held); return (status, message)."""
        if call.action not in ACTIONS:
            return 400, 'Invalid action body %r.' % (call.action_body,)
        target = TARGET_STATUS[call.action]
        if self.strict_states and call.action != 'reboot' and \
                server.status == target:
            return 409, ("Cannot '%s' instance %s while it is in vm_state "
                         "%s" % (call.action.replace('os-', ''), server.id,
                                 server.status.lower()))
        server.status = target
        server.task_state = None
        call.applied = True
        return 202, ''

    def _error(self, request, call, status, message=None):
        key = ERROR_KEYS.get(status, 'computeFault' if status >= 500
                             else 'badRequest')
        message = message or http.server.BaseHTTPRequestHandler.responses.get(
            status, ('Error',))[0]
        self._json(request, call, status,
                   {key: {'code': status, 'message': message}})

    def _json(self, request, call, status, body):
        self._answer(request, call, status, json.dumps(body).encode(),
                     'application/json')

    def _answer(self, request, call, status, payload, content_type):
        try:
            request.send_response(status)
            if content_type:
                request.send_header('Content-Type', content_type)
            request.send_header('Content-Length', str(len(payload)))
            request.send_header('X-Compute-Request-Id',
                                'req-fake-%d' % id(call))
            request.end_headers()
            request.wfile.write(payload)
            request.wfile.flush()
        except OSError:
            request.close_connection = True
            return
        call.answered = status
