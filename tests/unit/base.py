"""Test bases: a clean global config per test, and the whole pipeline.

:class:`AppTestCase` drives the pipeline with webob requests; the
hardening suite's pipeline tests build on it too.

:class:`PipelineTestCase` loads the real ``etc/vmact/api-paste.ini`` with
the chosen ``auth_strategy`` and two simulator agents, and drives it with
webob requests. In the keystone strategy keystonemiddleware runs for real
and its ``AuthTokenFixture`` answers token validation without a Keystone.
:class:`PipelineHelpers` adds the requests and assertions the tests of
tests/unit/api/ share (spied backends, status reads, refusals).

:class:`ConsoleScriptTestCase` runs the ``vmact-api`` console script on a
loopback port (tests/unit/cmd/test_api.py, tests/unit/test_server.py).
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslo_config import fixture as config_fixture
from oslotest import base as oslotest_base
import webob

from tests.support import ports
from tests.support import processes
from tests.support import vmact_config
from vmact.api import pipeline
from vmact.backends import simulator
from vmact import conf as vmact_conf
from vmact import policy

ROOT = processes.REPO_ROOT
PASTE_INI = vmact_config.PASTE_INI
DEV_CONF = os.path.join(ROOT, 'etc', 'vmact', 'vmact-dev.conf')

TENANT = 'demo'
OTHER_TENANT = 'alt'


class TestCase(oslotest_base.BaseTestCase):
    """A test with its own view of the global CONF and policy enforcer."""

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(
            config_fixture.Config(vmact_conf.CONF))
        self.conf = self.conf_fixture.conf
        self.conf(self.config_args(), project='vmact',
                  default_config_files=[])
        policy.reset()
        self.addCleanup(policy.reset)
        # No process-wide job engine behind a test's back; tests of the
        # engine start their own.
        self.started_engines = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.jobs.start_local_engine',
            lambda conf, agents: self.started_engines.append(agents)))

    def config_args(self):
        """The command line CONF is parsed from (a hook)."""
        return []

    def flags(self, group=None, **kw):
        self.conf_fixture.config(group=group, **kw)

    def agent(self, name, **values):
        """Configure an agent section (registered later, at load time)."""
        self.conf_fixture.load_raw_values(group=name, **{
            k: ','.join(v) if isinstance(v, (list, tuple)) else str(v)
            for k, v in values.items()})


class AppTestCase(TestCase):
    """Drives the paste pipeline loaded from the test's CONF.

    Subclasses say which token a request carries by default
    (:meth:`default_token`).
    """

    def load(self):
        """Load the app once the test has set its flags."""
        if not hasattr(self, '_app'):
            self._app = pipeline.load_app(self.conf)
        return self._app

    def default_token(self):
        raise NotImplementedError()

    def request(self, path='/mana_api/vm_act', body=None, method='POST',
                token=True, agent=None, headers=None, raw=None):
        """Send one request through the pipeline; return the response.

        ``body`` is JSON-encoded; ``raw`` is sent as is; ``token=True``
        means :meth:`default_token`.
        """
        if token is True:
            token = self.default_token()
        return blank_request(path, body, method, token, agent, headers,
                             raw).get_response(self.load())


class PipelineTestCase(AppTestCase):
    """The full paste pipeline over two simulator agents.

    Agent ``scloudm`` (the default): regions RegionOne and RegionTwo,
    tenants ``demo`` and ``alt`` with servers ``<tenant>-<region>-1..3``
    (ACTIVE) plus ``demo`` servers ``off1``, ``off2`` (SHUTOFF) and
    ``err1`` (ERROR) in RegionOne. Agent ``pbs``: region ``cn-north-1``,
    tenant ``demo`` with ``demo-cn-north-1-1..2``.
    """

    auth_strategy = 'noauth'
    transition_delay = 0

    def setUp(self):
        super().setUp()
        self.flags(group='api', auth_strategy=self.auth_strategy,
                   api_paste_config=PASTE_INI,
                   enabled_agents=['scloudm', 'pbs'],
                   default_agent='scloudm')
        self.agent('scloudm', backend='simulator',
                   regions=['RegionOne', 'RegionTwo'],
                   tenants=[TENANT, OTHER_TENANT], servers_per_tenant=3,
                   servers=['demo:RegionOne:off1:SHUTOFF',
                            'demo:RegionOne:off2:SHUTOFF',
                            'demo:RegionOne:err1:ERROR'],
                   transition_delay=self.transition_delay,
                   poll_interval=0.01, poll_max_interval=0.05)
        self.agent('pbs', backend='simulator', regions=['cn-north-1'],
                   tenants=[TENANT], servers_per_tenant=2,
                   transition_delay=self.transition_delay)
        if self.auth_strategy == 'keystone':
            self.auth_fixture = self.useFixture(ksm_fixture.AuthTokenFixture())
            self.conf_fixture.load_raw_values(
                group='keystone_authtoken',
                www_authenticate_uri='http://keystone.test/v3')

    def token(self, user='demo', project=TENANT, roles=('member', 'reader'),
              expires=None):
        """A token for ``user`` in ``project``, valid in either strategy."""
        if self.auth_strategy == 'noauth':
            return '%s:%s' % (user, project)
        token_id = uuid.uuid4().hex
        self.auth_fixture.add_token_data(
            token_id=token_id, user_id=user, user_name=user,
            project_id=project, project_name=project,
            role_list=list(roles), expires=expires)
        return token_id

    def default_token(self):
        """A member token of ``demo``."""
        return self.token()

    def act(self, action='os-stop', servers='demo-RegionOne-1',
            tenant_id=TENANT, region='RegionOne', value=None, **kw):
        body = {'tenant_id': tenant_id, 'region': region,
                'servers': servers, action: value}
        return self.request(body=body, **kw)

    def spy_backends(self):
        """Record every show/send any simulator backend receives."""
        calls = []
        for name in ('show', 'send'):
            original = getattr(simulator.SimulatorBackend, name)

            def spy(backend, *args, _name=name, _original=original, **kw):
                calls.append((backend.agent, _name, args, kw))
                return _original(backend, *args, **kw)
            self.useFixture(fixtures.MonkeyPatch(
                'vmact.backends.simulator.SimulatorBackend.' + name, spy))
        return calls

    def status(self, servers, tenant_id=TENANT, region='RegionOne',
               agent=None):
        """{server: status or error code}, read through the API."""
        response = self.request(
            '/mana_api/vm_act/%s/%s?servers=%s' % (tenant_id, region,
                                                   ','.join(servers)),
            method='GET', agent=agent)
        found = {s['id']: s['status'] for s in response.json['servers']}
        if response.status_int != 200:
            found.update((f['server'], f['code'])
                         for f in response.json['failures'])
        return found

    def assertError(self, response, code, *fragments):
        """The seed's error shape with ``code``, naming ``fragments``."""
        self.assertEqual(code, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        body = response.json
        self.assertEqual(code, body['code'])
        self.assertEqual(http.client.responses[code], body['reason'])
        for fragment in fragments:
            self.assertIn(fragment, body['msg'])
        return body


def blank_request(path, body=None, method='POST', token=None, agent=None,
                  headers=None, raw=None):
    """A webob request with vmact's headers; ``body`` is JSON-encoded.

    ``raw`` bytes are sent as they are instead; ``headers`` come last and
    may override the token or agent headers. ``path`` is also the
    REQUEST_URI, the target as sent, as waitress and mod_wsgi give it.
    """
    req = webob.Request.blank(path, method=method)
    req.environ['REQUEST_URI'] = path
    if token:
        req.headers['X-Auth-Token'] = token
    if agent is not None:
        req.headers['Sp-Agent'] = agent
    if raw is not None:
        req.body = raw
    elif body is not None:
        req.body = json.dumps(body).encode('utf-8')
    req.headers.update(headers or {})
    return req


# Requests and assertions shared by the pipeline tests of tests/unit/api.
PATH = '/mana_api/vm_act'
DEMO1 = 'demo-RegionOne-1'
DEMO2 = 'demo-RegionOne-2'
DEMO3 = 'demo-RegionOne-3'
ALT1 = 'alt-RegionOne-1'
REQUEST_ID = 'x-openstack-request-id'
UNAUTHORIZED_MSG = 'The request you have made requires authentication.'


class PipelineHelpers(object):
    """Spy on the backends from the start; helpers for pipeline tests.

    Mixed into a :class:`PipelineTestCase` by the tests of the app, its
    results and the pipeline (tests/unit/api/).
    """

    def setUp(self):
        super().setUp()
        self.calls = self.spy_backends()

    def owner_token(self, tenant_id):
        """A member token of ``tenant_id`` (its own user)."""
        return self.token(user=tenant_id, project=tenant_id)

    def admin_token(self):
        if self.auth_strategy == 'noauth':
            return 'admin:admin'
        return self.token(user='admin', project='admin', roles=('admin',))

    def invalid_token(self):
        if self.auth_strategy == 'noauth':
            return 'not a token!'
        return uuid.uuid4().hex

    def read(self, servers, tenant_id=TENANT, region='RegionOne',
             token=True, agent=None, path=None):
        """A GET status read of ``servers`` (a list or a raw string)."""
        if not isinstance(servers, str):
            servers = ','.join(servers)
        path = path or '%s/%s/%s' % (PATH, tenant_id, region)
        return self.request('%s?servers=%s' % (path, servers), method='GET',
                            token=token, agent=agent)

    def states(self, servers, tenant_id=TENANT, region='RegionOne',
               agent=None):
        """{server: status, or error code}, read by the tenant's owner."""
        response = self.read(servers, tenant_id, region, agent=agent,
                             token=self.owner_token(tenant_id))
        found = {s['id']: s['status'] for s in response.json['servers']}
        found.update((f['server'], f['code'])
                     for f in response.json.get('failures', ()))
        return found

    def sent(self):
        """[(agent, servers)] of every send the backends received."""
        return [(agent, args[1].servers)
                for agent, name, args, kw in self.calls if name == 'send']

    def act_with(self, action='os-stop', servers=DEMO1, value=None, **extra):
        """Act as demo in RegionOne with ``extra`` body fields."""
        body = {'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': servers, action: value}
        body.update(extra)
        return self.request(body=body)

    def assertRefused(self, response, code, *fragments):
        """An error in the seed's format, and no backend was called."""
        body = self.assertError(response, code, *fragments)
        self.assertEqual([], self.calls)
        self.assertIn(REQUEST_ID, response.headers)
        return body

    def assertOK(self, response):
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(b'', response.body)

    def assertSafeMessage(self, msg, limit=400):
        self.assertTrue(msg.isascii(), msg)
        self.assertTrue(msg.isprintable(), msg)
        self.assertLess(len(msg), limit)


class ConsoleScriptTestCase(TestCase):
    """Run ``vmact-api`` (python -m vmact.cmd.api) on a loopback port.

    The development config plus ``[api] port`` and any extra lines; the
    process is killed at cleanup if it still runs. Every wait is bounded.
    """

    def start(self, *extra_conf):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.port = ports.free_port()
        override = os.path.join(tmp, 'override.conf')
        with open(override, 'w') as f:
            f.write('[api]\nport = %d\n%s' % (self.port, ''.join(extra_conf)))
        proc = subprocess.Popen(
            [sys.executable, '-m', 'vmact.cmd.api', '--config-file',
             DEV_CONF, '--config-file', override],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(reap, proc)
        return proc

    def wait_until_serving(self, proc):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail('vmact-api exited: %s' % proc.stdout.read())
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.2) \
                    .close()
                return
            except OSError:
                time.sleep(0.05)
        self.fail('vmact-api did not listen within 20s')

    def call(self, path, body=None, method='POST', headers=None):
        req = urllib.request.Request(
            'http://127.0.0.1:%d%s' % (self.port, path), method=method,
            data=None if body is None else body.encode(),
            headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def raw_exchange(self, data):
        """Send ``data`` on one connection; return the response's parts."""
        with socket.create_connection(('127.0.0.1', self.port), 10) as sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status, response.headers, response.read()


def reap(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()
