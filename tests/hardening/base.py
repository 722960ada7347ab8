"""Shared set-up of the hardening suite: a fake cloud and vmact over it.

:class:`FakeCloud` runs a fake Nova and a fake Keystone on loopback. The
Keystone catalog has compute in ``RegionOne`` (``<nova>/v2.1``) and
``RegionTwo`` (``<nova>/RegionTwo/v2.1``), both served by the one fake
Nova. It knows a service user (``vmact``) for keystonemiddleware and the
service-mode agent, and issues user tokens.

vmact runs either in this process (:class:`PipelineTestCase`: the real
``etc/vmact/api-paste.ini`` loaded in the keystone strategy, driven with
webob requests) or as the real ``vmact-api`` console script
(:class:`VmactProcess`), with the same config file (:func:`write_config`):

* agent ``scloudm`` (default), nova backend, ``auth_mode = token``;
* agent ``pbs``, nova backend, ``auth_mode = service`` (ownership check);
* agent ``sim``, simulator backend.
"""

import http.client
import json
import os
import signal
import sys
import threading
import time
import uuid

import fixtures
import psutil

from tests.fakes import keystone as fake_keystone
from tests.fakes import nova as fake_nova
from tests.support import ports
from tests.support import processes
from tests.support import vmact_config
from tests.unit import base as unit_base

ROOT = processes.REPO_ROOT

TOKEN_AGENT = 'scloudm'
SERVICE_AGENT = 'pbs'
SIM_AGENT = 'sim'
NOVA_AGENTS = (TOKEN_AGENT, SERVICE_AGENT)
TENANT = 'demo'
OTHER_TENANT = 'alt'
REGIONS = ('RegionOne', 'RegionTwo')
SERVICE_USER = 'vmact'
SERVICE_PROJECT = 'service'
#: Servers of ``demo`` and of ``alt`` registered in the fake Nova.
SERVERS = tuple('vm-%d' % n for n in range(1, 9)) + ('k432k234',)
FOREIGN_SERVERS = ('alt-1', 'alt-2')
#: Valid IDs that Nova does not know.
GHOSTS = ('ghost-1', 'ghost-2')


class FakeCloud(fixtures.Fixture):
    """A fake Nova and a fake Keystone, with demo's and alt's servers.

    ``nova_options`` go to :class:`tests.fakes.nova.FakeNova`; by default
    Nova scopes non-admin tokens to their project, like Nova.
    """

    def __init__(self, scoped=True, **nova_options):
        super().__init__()
        self.scoped = scoped
        self.nova_options = nova_options
        self.service_password = 'svc-pw-' + uuid.uuid4().hex

    def _setUp(self):
        self.nova = fake_nova.FakeNova(**self.nova_options)
        self.nova.listen()
        self.addCleanup(self.nova.stop)
        self.keystone = fake_keystone.FakeKeystone(compute={
            'RegionOne': self.nova.endpoint(),
            'RegionTwo': self.nova.endpoint('RegionTwo')})
        self.keystone.listen()
        self.addCleanup(self.keystone.stop)
        if self.scoped:
            self.nova.token_info = self.keystone.token_info
        self.keystone.add_user(SERVICE_USER, self.service_password,
                               SERVICE_PROJECT, roles=('admin', 'service'))
        self.reset_servers()

    def reset_servers(self):
        """demo's SERVERS (ACTIVE) and alt's FOREIGN_SERVERS, afresh."""
        self.nova.add_servers(SERVERS, TENANT)
        self.nova.add_servers(FOREIGN_SERVERS, OTHER_TENANT)

    def token(self, project=TENANT, roles=('member', 'reader'),
              user='demo-user'):
        return self.keystone.issue_token(user, project, roles)

    def service_tokens(self):
        """Every token issued to the service user so far."""
        return self.keystone.tokens(SERVICE_PROJECT)

    def secrets(self):
        """Strings that must never leave in a body or a log line."""
        return [self.service_password] + self.keystone.tokens()


def nova_agent(auth_mode, deadline, read_timeout, per_request,
               max_concurrency):
    """One nova agent's section, fast polling."""
    return {'backend': 'nova', 'auth_mode': auth_mode,
            'request_deadline': deadline, 'read_timeout': read_timeout,
            'connect_timeout': 2,
            'max_concurrency_per_request': per_request,
            'max_concurrency': max_concurrency, 'poll_interval': 0.05,
            'poll_max_interval': 0.2}


def write_config(path, cloud, port=0, deadline=10.0, read_timeout=10.0,
                 per_request=20, max_concurrency=64, server_threads=16,
                 shutdown_timeout=30, max_servers=500, max_body=114688,
                 log_file=None, debug=True, sections=None):
    """Write vmact.conf for ``cloud``; returns ``path``.

    ``sections`` (``{section: {option: value}}``) add to or override the
    options written.
    """
    service = (cloud.keystone.auth_url, SERVICE_USER, cloud.service_password,
               SERVICE_PROJECT)
    agent = (deadline, read_timeout, per_request, max_concurrency)
    config = {
        'DEFAULT': {'debug': debug, 'log_file': log_file},
        'api': vmact_config.api(
            port, (TOKEN_AGENT, SERVICE_AGENT, SIM_AGENT),
            server_threads=server_threads,
            shutdown_timeout=shutdown_timeout,
            max_servers_per_request=max_servers, max_wait=10),
        'oslo_middleware': {'max_request_body_size': max_body},
        'keystone_authtoken': vmact_config.keystone_authtoken(*service),
        # The trustee of token-mode jobs; the fake Keystone has no trusts
        # API, so such a job is the 403 of a refused trust, never a 5xx.
        'trustee': vmact_config.password_auth(*service),
        TOKEN_AGENT: nova_agent('token', *agent),
        SERVICE_AGENT: dict(nova_agent('service', *agent),
                            **vmact_config.password_auth(*service)),
        SIM_AGENT: {'backend': 'simulator', 'regions': 'RegionOne',
                    'tenants': TENANT, 'servers_per_tenant': 3,
                    'transition_delay': 0},
    }
    for section, options in (sections or {}).items():
        config.setdefault(section, {}).update(options)
    return vmact_config.write(path, config)


def json_bytes(body):
    """``body`` as UTF-8 JSON, lone surrogates and all (invalid UTF-8)."""
    return json.dumps(body, ensure_ascii=False).encode('utf-8',
                                                       'surrogatepass')


def assert_error_format(test, status, body_bytes, content_type):
    """The contract's error body: JSON {msg, code, reason} (+ batch keys)."""
    test.assertEqual('application/json', content_type.split(';')[0],
                     body_bytes[:300])
    body = json.loads(body_bytes)
    test.assertIsInstance(body, dict)
    test.assertEqual(status, body.get('code'), body)
    test.assertIsInstance(body.get('msg'), str, body)
    expected_reason = ('Unauthorized' if status in (400, 401)
                       and body['msg'].startswith('The request you have')
                       else http.client.responses.get(status, 'Error'))
    test.assertEqual(expected_reason, body.get('reason'), body)
    allowed = {'msg', 'code', 'reason'}
    if 'failures' in body:
        allowed |= {'failures', 'succeeded', 'servers', 'escalated'}
        for failure in body['failures']:
            test.assertEqual({'server', 'code', 'msg'}, set(failure))
    test.assertEqual(set(), set(body) - allowed, body)
    return body


class PipelineTestCase(unit_base.AppTestCase):
    """The real paste pipeline, keystone strategy, over a FakeCloud.

    Subclasses set :attr:`config` (keyword arguments of
    :func:`write_config`) and :attr:`nova_options`.
    """

    config = {}
    nova_options = {}
    scoped = True

    def setUp(self):
        super().setUp()
        self.app = self.load()
        self.member_token = self.cloud.token()

    def config_args(self):
        """Start the FakeCloud; write vmact.conf for it."""
        self.cloud = self.useFixture(FakeCloud(scoped=self.scoped,
                                               **self.nova_options))
        self.nova = self.cloud.nova
        self.keystone = self.cloud.keystone
        work = self.useFixture(fixtures.TempDir()).path
        return ['--config-file', write_config(
            os.path.join(work, 'vmact.conf'), self.cloud, **self.config)]

    def default_token(self):
        return self.member_token

    def act(self, servers, action='os-stop', value=None, tenant_id=TENANT,
            region='RegionOne', agent=None, token=True, **extra):
        body = dict({'tenant_id': tenant_id, 'region': region,
                     'servers': servers, action: value}, **extra)
        return self.request(body=body, agent=agent, token=token)

    def assertErrorFormat(self, response, status=None):
        if status is not None:
            self.assertEqual(status, response.status_int, response.text)
        return assert_error_format(self, response.status_int, response.body,
                                   response.content_type or '')

    def assertNoNovaCall(self):
        self.assertEqual([], [(c.method, c.path) for c in self.nova.calls()])


class ResourceProbe(object):
    """Threads and open sockets of one process, for leak checks.

    Threads of the fakes (named ``fake-*``) are left out when the process
    is this one; sockets are counted towards the given fake ports (the
    client side only: the fakes' own server sockets are left out).
    """

    def __init__(self, pid=None, ports=()):
        self.pid = pid or os.getpid()
        self.process = psutil.Process(self.pid)
        self.ports = set(ports)

    def threads(self):
        if self.pid == os.getpid():
            return sorted(t.name for t in threading.enumerate()
                          if not t.name.startswith('fake-'))
        return self.process.num_threads()

    def client_sockets(self):
        """Open client sockets from the process to the fakes."""
        return [c for c in self.process.net_connections(kind='tcp')
                if c.raddr and c.raddr.port in self.ports
                and c.laddr.port not in self.ports]

    def fds(self):
        return self.process.num_fds()

    def busy_backend_threads(self):
        """Names of this process's threads running a vmact backend call."""
        busy = []
        frames = sys._current_frames()
        for thread in threading.enumerate():
            frame = frames.get(thread.ident)
            while frame is not None:
                if frame.f_code.co_filename.endswith(
                        os.path.join('vmact', 'backends', 'nova.py')):
                    busy.append(thread.name)
                    break
                frame = frame.f_back
        return busy

    def snapshot(self):
        return {'threads': self.threads(), 'fds': self.fds(),
                'client_sockets': len(self.client_sockets())}


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval)


class VmactProcess(fixtures.Fixture):
    """The real ``vmact-api`` console script over a FakeCloud.

    ``config`` are keyword arguments of :func:`write_config`.
    """

    START_TIMEOUT = 60

    def __init__(self, cloud, **config):
        super().__init__()
        self.cloud = cloud
        self.config = config

    def _setUp(self):
        self.work_dir = self.useFixture(fixtures.TempDir()).path
        self.port = ports.free_port()
        self.url = ports.url(self.port)
        self.log_file = os.path.join(self.work_dir, 'vmact.log')
        config_file = write_config(
            os.path.join(self.work_dir, 'vmact.conf'), self.cloud,
            port=self.port, log_file=self.log_file, **self.config)
        self.child = processes.start_vmact_api(
            'vmact', [config_file], self.port, self.work_dir,
            logs=[self.log_file], timeout=self.START_TIMEOUT)
        self.popen = self.child.popen
        self.addCleanup(self.child.stop, 0)

    def terminate(self):
        self.child.send_signal(signal.SIGTERM)

    def output(self):
        return self.child.output_tail(8000)

    def log(self):
        with open(self.log_file, errors='replace') as f:
            return f.read()

    def rss(self):
        """vmact-api's resident set size in bytes."""
        return psutil.Process(self.popen.pid).memory_info().rss
