"""A cheap fake Keystone and fake Nova for the benchmark, on loopback.

One asyncio event loop in its own process serves both ports with a
minimal HTTP/1.1 (keep-alive, Content-Length bodies, no pipelining) so that
it is not the bottleneck of what it measures. Run it as a script; it
prints one JSON line ``{"keystone": PORT, "nova": PORT}`` once listening.

Fake Keystone (identity v3, just what keystoneauth, keystoneclient and
keystonemiddleware call): version discovery (``GET /`` and ``GET /v3``),
``POST /v3/auth/tokens`` (password and token methods; any password is
accepted; the user name picks the roles) and ``GET /v3/auth/tokens``
(validation, counted). Every token carries a catalog with ``identity``
and ``compute`` endpoints (public, internal, admin) in ``RegionOne``;
token and discovery bodies come from :mod:`tests.support.keystone`
(keystoneauth1's fixtures), as the tests' fake Keystone's do.

Fake Nova: ``POST /v2.1/servers/{id}/action`` (os-start, os-stop, reboot:
202 after the configured latency) and ``GET /v2.1/servers/{id}`` (an
ACTIVE server of the benchmark's project, after the read latency).
Requests are counted by kind, and new TCP connections per port.

Control, on the Keystone port (not counted): ``GET /_bench/stats``,
``POST /_bench/reset``, ``POST /_bench/config`` with
``{"action_latency": seconds, "read_latency": seconds}``.
"""

import argparse
import asyncio
import collections
import json
import os
import signal
import sys
import uuid

# The test support of the checkout (not installed with vmact).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
from tests.support import keystone as keystone_bodies  # noqa: E402

REGION = 'RegionOne'
#: The project whose servers the benchmark acts on, and its member.
PROJECT = {'id': 'b3c4e1f0bench0project0000000001', 'name': 'bench'}
SERVICE_PROJECT = {'id': 'b3c4e1f0bench0service0000000001',
                   'name': 'service'}
ROLES_BY_USER = {'vmact': ('admin', 'service'),
                 'bench-admin': ('admin', 'member', 'reader')}
DEFAULT_ROLES = ('member', 'reader')
MAX_HEAD = 65536
MAX_BODY = 16 * 1024 * 1024
REASONS = {200: 'OK', 201: 'Created', 202: 'Accepted', 300:
           'Multiple Choices', 400: 'Bad Request', 401: 'Unauthorized',
           404: 'Not Found', 405: 'Method Not Allowed',
           411: 'Length Required', 413: 'Payload Too Large'}
JSON = 'application/json'


def _json(status, doc, headers=()):
    return status, [('Content-Type', JSON)] + list(headers), \
        json.dumps(doc).encode('utf-8')


class Cloud(object):
    """State, counters and request handlers of both fake services."""

    def __init__(self):
        self.keystone_url = None
        self.nova_url = None
        self.action_latency = 0.0
        self.read_latency = 0.0
        self.tokens = {}
        self.stats = None
        self.reset()

    def reset(self):
        self.stats = {'nova': collections.Counter(),
                      'keystone': collections.Counter()}

    def snapshot(self):
        return {name: dict(counter) for name, counter in self.stats.items()}

    # Keystone.

    def issue(self, user_name, project):
        token_id = uuid.uuid4().hex
        body = keystone_bodies.token_body(
            user_name, project['name'], ROLES_BY_USER.get(
                user_name, DEFAULT_ROLES),
            catalog={'compute': {REGION: self.nova_url + '/v2.1'}},
            auth_url=self.keystone_url + '/v3', user_id='u-%s' % user_name,
            project_id=project['id'], ttl=12 * 3600)
        self.tokens[token_id] = body
        return token_id, body

    def keystone(self, method, path, headers, body):
        path = path.split('?', 1)[0].rstrip('/')
        if path.startswith('/_bench'):
            return self.control(method, path, body)
        counter = self.stats['keystone']
        counter['requests'] += 1
        if method == 'GET' and path == '':
            counter['discovery'] += 1
            return _json(300, keystone_bodies.versions(
                self.keystone_url + '/v3'))
        if method == 'GET' and path == '/v3':
            counter['discovery'] += 1
            return _json(200, keystone_bodies.version(
                self.keystone_url + '/v3'))
        if path != '/v3/auth/tokens':
            counter['other'] += 1
            return _json(404, {'error': {'code': 404, 'message': 'nope'}})
        if method == 'POST':
            counter['authentications'] += 1
            return self.authenticate(body)
        if method == 'GET':
            counter['validations'] += 1
            if headers.get('x-auth-token') not in self.tokens:
                return _json(401, {'error': {'code': 401,
                                             'message': 'bad auth'}})
            subject = headers.get('x-subject-token')
            if subject not in self.tokens:
                return _json(404, {'error': {'code': 404,
                                             'message': 'no token'}})
            return _json(200, self.tokens[subject],
                         [('X-Subject-Token', subject)])
        counter['other'] += 1
        return _json(405, {'error': {'code': 405, 'message': 'no'}})

    def authenticate(self, body):
        try:
            auth = json.loads(body)['auth']
            identity = auth['identity']
            if 'password' in identity:
                user_name = identity['password']['user'].get('name') or \
                    identity['password']['user']['id']
            else:
                known = self.tokens[identity['token']['id']]
                user_name = known['token']['user']['name']
            scope = auth.get('scope', {}).get('project', {})
        except (ValueError, KeyError, TypeError, AttributeError):
            return _json(400, {'error': {'code': 400, 'message': 'bad'}})
        wanted = scope.get('name') or scope.get('id')
        project = SERVICE_PROJECT if wanted in (
            SERVICE_PROJECT['name'], SERVICE_PROJECT['id']) else PROJECT
        token_id, doc = self.issue(user_name, project)
        return _json(201, doc, [('X-Subject-Token', token_id)])

    def control(self, method, path, body):
        if path == '/_bench/stats':
            return _json(200, self.snapshot())
        if path == '/_bench/reset' and method == 'POST':
            self.reset()
            return _json(200, self.snapshot())
        if path == '/_bench/config' and method == 'POST':
            doc = json.loads(body or b'{}')
            self.action_latency = float(doc.get('action_latency',
                                                self.action_latency))
            self.read_latency = float(doc.get('read_latency',
                                              self.read_latency))
            return _json(200, {'action_latency': self.action_latency,
                               'read_latency': self.read_latency})
        return _json(404, {})

    # Nova.

    def nova(self, method, path, headers, body):
        counter = self.stats['nova']
        counter['requests'] += 1
        parts = path.split('?', 1)[0].strip('/').split('/')
        if len(parts) >= 3 and parts[:2] == ['v2.1', 'servers']:
            server_id = parts[2]
            if method == 'POST' and parts[3:] == ['action']:
                try:
                    action = next(iter(json.loads(body)))
                except (ValueError, StopIteration, TypeError):
                    action = 'invalid'
                counter['action:%s' % action] += 1
                counter['actions'] += 1
                return 202, [('Content-Type', 'text/html; charset=UTF-8')], \
                    b'', self.action_latency
            if method == 'GET' and len(parts) == 3:
                counter['reads'] += 1
                status, hdrs, data = _json(200, {'server': {
                    'id': server_id, 'name': server_id, 'status': 'ACTIVE',
                    'tenant_id': PROJECT['id'], 'user_id': 'u-bench',
                    'OS-EXT-STS:power_state': 1,
                    'OS-EXT-STS:task_state': None,
                    'OS-EXT-STS:vm_state': 'active',
                    'links': [{'rel': 'self', 'href': '%s/v2.1/servers/%s'
                               % (self.nova_url, server_id)}]}})
                return status, hdrs, data, self.read_latency
        counter['other'] += 1
        return _json(404, {'itemNotFound': {'code': 404,
                                            'message': 'Not found'}})


class HTTPProtocol(asyncio.Protocol):
    """One connection: parse requests one at a time, answer, keep alive."""

    def __init__(self, cloud, service):
        self.cloud = cloud
        self.service = service
        self.buffer = bytearray()
        self.transport = None
        self.busy = False

    def connection_made(self, transport):
        self.transport = transport
        self.cloud.stats[self.service]['connections'] += 1

    def connection_lost(self, exc):
        self.transport = None

    def data_received(self, data):
        self.buffer += data
        if not self.busy:
            self.process()

    def process(self):
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b'\r\n\r\n')
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self.reply(413, [], b'', False)
                return
            lines = bytes(self.buffer[:end]).decode('latin-1').split('\r\n')
            try:
                method, target, version = lines[0].split(' ', 2)
            except ValueError:
                self.reply(400, [], b'', False)
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(':')
                headers[name.strip().lower()] = value.strip()
            if 'chunked' in headers.get('transfer-encoding', '').lower():
                self.reply(411, [], b'', False)
                return
            length = int(headers.get('content-length') or 0)
            if length > MAX_BODY:
                self.reply(413, [], b'', False)
                return
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4:end + 4 + length])
            del self.buffer[:end + 4 + length]
            keep = (version == 'HTTP/1.1'
                    and headers.get('connection', '').lower() != 'close')
            handler = getattr(self.cloud, self.service)
            answer = handler(method, target, headers, body)
            delay = answer[3] if len(answer) > 3 else 0
            if delay > 0:
                self.busy = True
                asyncio.get_running_loop().call_later(
                    delay, self.reply, answer[0], answer[1], answer[2], keep)
            else:
                self.reply(answer[0], answer[1], answer[2], keep)

    def reply(self, status, headers, body, keep):
        if self.transport is None:
            return
        head = ['HTTP/1.1 %d %s' % (status, REASONS.get(status, 'Status')),
                'Content-Length: %d' % len(body)]
        head.extend('%s: %s' % pair for pair in headers)
        if not keep:
            head.append('Connection: close')
        self.transport.write(('\r\n'.join(head) + '\r\n\r\n').encode(
            'latin-1') + body)
        if not keep:
            self.transport.close()
            self.transport = None
            return
        if self.busy:
            self.busy = False
            self.process()


async def serve(host, keystone_port, nova_port):
    loop = asyncio.get_running_loop()
    cloud = Cloud()
    keystone = await loop.create_server(
        lambda: HTTPProtocol(cloud, 'keystone'), host, keystone_port,
        backlog=1024)
    nova = await loop.create_server(
        lambda: HTTPProtocol(cloud, 'nova'), host, nova_port, backlog=1024)
    ports = {'keystone': keystone.sockets[0].getsockname()[1],
             'nova': nova.sockets[0].getsockname()[1]}
    cloud.keystone_url = 'http://%s:%d' % (host, ports['keystone'])
    cloud.nova_url = 'http://%s:%d' % (host, ports['nova'])
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set_result, None)
    sys.stdout.write(json.dumps(ports) + '\n')
    sys.stdout.flush()
    await stop
    keystone.close()
    nova.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--keystone-port', type=int, default=0)
    parser.add_argument('--nova-port', type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.keystone_port, args.nova_port))
    return 0


if __name__ == '__main__':
    sys.exit(main())
