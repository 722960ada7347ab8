"""Test bases: a clean global config per test, and the whole pipeline.

:class:`AppTestCase` drives the pipeline with webob requests; the
hardening suite's pipeline tests build on it too.

:class:`PipelineTestCase` loads the real ``etc/vmact/api-paste.ini`` with
the chosen ``auth_strategy`` and two simulator agents, and drives it with
webob requests. In the keystone strategy keystonemiddleware runs for real
and its ``AuthTokenFixture`` answers token validation without a Keystone.
"""

import http.client
import json
import uuid

import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslo_config import fixture as config_fixture
from oslotest import base as oslotest_base
import webob

from tests.support import processes
from tests.support import vmact_config
from vmact.api import pipeline
from vmact.backends import simulator
from vmact import conf as vmact_conf
from vmact import policy

ROOT = processes.REPO_ROOT
PASTE_INI = vmact_config.PASTE_INI

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
