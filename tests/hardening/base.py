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
import subprocess
import sys
import threading
import time
import uuid

import fixtures
from oslo_config import fixture as config_fixture
from oslotest import base as oslotest_base
import psutil
import requests

from tests.fakes import httpserver
from tests.fakes import keystone as fake_keystone
from tests.fakes import nova as fake_nova
from tests.unit import base as unit_base
from vmact.api import pipeline
from vmact import conf as vmact_conf
from vmact import policy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PASTE_INI = os.path.join(ROOT, 'etc', 'vmact', 'api-paste.ini')

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

CONFIG = """\
[DEFAULT]
debug = {debug}
{log_line}

[api]
auth_strategy = keystone
api_paste_config = {paste_ini}
host = 127.0.0.1
port = {port}
server_threads = {server_threads}
shutdown_timeout = {shutdown_timeout}
enabled_agents = {token_agent},{service_agent},{sim_agent}
default_agent = {token_agent}
max_servers_per_request = {max_servers}
max_wait = 10

[oslo_middleware]
max_request_body_size = {max_body}

[keystone_authtoken]
www_authenticate_uri = {auth_url}
auth_url = {auth_url}
auth_type = password
username = {service_user}
password = {service_password}
project_name = {service_project}
user_domain_id = default
project_domain_id = default
interface = public
http_connect_timeout = 2
http_request_max_retries = 0

[{token_agent}]
backend = nova
auth_mode = token
request_deadline = {deadline}
read_timeout = {read_timeout}
connect_timeout = 2
max_concurrency_per_request = {per_request}
max_concurrency = {max_concurrency}
poll_interval = 0.05
poll_max_interval = 0.2

[{service_agent}]
backend = nova
auth_mode = service
request_deadline = {deadline}
read_timeout = {read_timeout}
connect_timeout = 2
max_concurrency_per_request = {per_request}
max_concurrency = {max_concurrency}
poll_interval = 0.05
poll_max_interval = 0.2
auth_type = password
auth_url = {auth_url}
username = {service_user}
password = {service_password}
project_name = {service_project}
user_domain_id = default
project_domain_id = default

[{sim_agent}]
backend = simulator
regions = RegionOne
tenants = demo
servers_per_tenant = 3
transition_delay = 0
"""


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


def write_config(path, cloud, port=0, deadline=10.0, read_timeout=10.0,
                 per_request=20, max_concurrency=64, server_threads=16,
                 shutdown_timeout=30, max_servers=500, max_body=114688,
                 log_file=None, debug=True):
    """Write vmact.conf for ``cloud``; returns ``path``."""
    with open(path, 'w') as conf:
        conf.write(CONFIG.format(
            debug=str(debug).lower(),
            log_line='log_file = %s' % log_file if log_file else '',
            paste_ini=PASTE_INI, port=port, server_threads=server_threads,
            shutdown_timeout=shutdown_timeout, token_agent=TOKEN_AGENT,
            service_agent=SERVICE_AGENT, sim_agent=SIM_AGENT,
            max_servers=max_servers, max_body=max_body,
            auth_url=cloud.keystone.auth_url, service_user=SERVICE_USER,
            service_password=cloud.service_password,
            service_project=SERVICE_PROJECT, deadline=deadline,
            read_timeout=read_timeout, per_request=per_request,
            max_concurrency=max_concurrency))
    return path


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
        allowed |= {'failures', 'succeeded', 'servers'}
        for failure in body['failures']:
            test.assertEqual({'server', 'code', 'msg'}, set(failure))
    test.assertEqual(set(), set(body) - allowed, body)
    return body


class PipelineTestCase(oslotest_base.BaseTestCase):
    """The real paste pipeline, keystone strategy, over a FakeCloud.

    Subclasses set :attr:`config` (keyword arguments of
    :func:`write_config`) and :attr:`nova_options`.
    """

    config = {}
    nova_options = {}
    scoped = True

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(FakeCloud(scoped=self.scoped,
                                               **self.nova_options))
        self.nova = self.cloud.nova
        self.keystone = self.cloud.keystone
        self.conf_fixture = self.useFixture(
            config_fixture.Config(vmact_conf.CONF))
        self.conf = self.conf_fixture.conf
        work = self.useFixture(fixtures.TempDir()).path
        path = write_config(os.path.join(work, 'vmact.conf'), self.cloud,
                            **self.config)
        self.conf(['--config-file', path], project='vmact',
                  default_config_files=[])
        policy.reset()
        self.addCleanup(policy.reset)
        self.app = pipeline.load_app(self.conf)
        self.member_token = self.cloud.token()

    def request(self, path='/mana_api/vm_act', body=None, method='POST',
                token=True, agent=None, headers=None, raw=None):
        """Send one request through the pipeline; return the response."""
        if token is True:
            token = self.member_token
        return unit_base.blank_request(path, body, method, token, agent,
                                       headers, raw).get_response(self.app)

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
    """The real ``vmact-api`` console script over a FakeCloud."""

    START_TIMEOUT = 60

    def __init__(self, cloud, **config):
        super().__init__()
        self.cloud = cloud
        self.config = config

    def _setUp(self):
        self.work_dir = self.useFixture(fixtures.TempDir()).path
        self.port = httpserver.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.log_file = os.path.join(self.work_dir, 'vmact.log')
        self.output_file = os.path.join(self.work_dir, 'vmact.out')
        config_file = write_config(
            os.path.join(self.work_dir, 'vmact.conf'), self.cloud,
            port=self.port, log_file=self.log_file, **self.config)
        script = os.path.join(os.path.dirname(sys.executable), 'vmact-api')
        command = ([script] if os.path.exists(script) else
                   [sys.executable, '-c', 'import sys; from vmact.cmd '
                    'import api; sys.exit(api.main())'])
        env = dict(os.environ, PYTHONPATH=ROOT)
        with open(self.output_file, 'ab') as output:
            self.popen = subprocess.Popen(
                command + ['--config-file', config_file],
                stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, env=env, cwd=self.work_dir)
        self.addCleanup(self._kill)
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError('vmact-api exited: %s' % self.output())
            try:
                if requests.get(self.url + '/healthcheck',
                                timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError('vmact-api did not start: %s' % self.output())

    def _kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(30)

    def terminate(self):
        self.popen.send_signal(signal.SIGTERM)

    def output(self):
        parts = []
        for path in (self.output_file, self.log_file):
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    parts.append(f.read()[-8000:])
        return '\n'.join(parts)

    def log(self):
        with open(self.log_file, errors='replace') as f:
            return f.read()

    def rss(self):
        """vmact-api's resident set size in bytes."""
        return psutil.Process(self.popen.pid).memory_info().rss
