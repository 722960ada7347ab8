"""The paste pipeline: how it is found, built and what it adds to every call.

:class:`PasteConfigLookupTest`: where load_app finds api-paste.ini when
the config does not name a path. An installed vmact has the api-paste.ini
pip put under its install scheme's data directory (``<venv>/etc/vmact``):
a config file alone must be enough. The installed distribution is a real
``importlib.metadata.PathDistribution`` over a RECORD written here, laid
out as pip lays out a virtualenv. The other classes build the real
pipeline: what it refuses to build, what it adds to every answer (request
id, health check) and a first end-to-end check in both auth strategies.
"""

from importlib import metadata as importlib_metadata
import os
import pathlib
import shutil

import fixtures
from oslo_config import cfg

from tests.unit import base
from vmact.api import pipeline
from vmact import exception

RECORD = """\
vmact/__init__.py,,
../../../etc/vmact/api-paste.ini,,
../../../etc/vmact/vmact-dev.conf,,
"""

# Re-parsing the command line drops the base's agent sections: the config
# file gives them again.
AGENTS = """\
[scloudm]
backend = simulator

[pbs]
backend = simulator
"""


class PasteConfigLookupTest(base.PipelineTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(
            'HOME', self.useFixture(fixtures.TempDir()).path))
        self.flags(group='api', api_paste_config='api-paste.ini')
        self.prefix = self.useFixture(fixtures.TempDir()).path
        self.conf_dir = os.path.join(self.prefix, 'config')
        os.makedirs(self.conf_dir)
        self.config_file = os.path.join(self.conf_dir, 'vmact.conf')
        with open(self.config_file, 'w') as conf_file:
            conf_file.write(AGENTS)
        self.conf(['--config-file', self.config_file], project='vmact',
                  default_config_files=[])

    def install(self):
        """Lay out vmact as pip does in ``<prefix>``; its distribution."""
        data_dir = os.path.join(self.prefix, 'etc', 'vmact')
        os.makedirs(data_dir)
        self.installed = os.path.join(data_dir, 'api-paste.ini')
        shutil.copy(base.PASTE_INI, self.installed)
        dist_info = os.path.join(self.prefix, 'lib', 'python3',
                                 'site-packages', 'vmact-1.0.dist-info')
        os.makedirs(dist_info)
        with open(os.path.join(dist_info, 'RECORD'), 'w') as record:
            record.write(RECORD)
        distribution = importlib_metadata.PathDistribution(
            pathlib.Path(dist_info))
        self.useFixture(fixtures.MockPatch(
            'importlib.metadata.distribution',
            return_value=distribution))
        return distribution

    def test_installed_vmact_loads_its_own_api_paste_ini(self):
        self.install()
        response = self.request('/healthcheck', method='GET', token=None)
        self.assertEqual(200, response.status_int)
        self.assertEqual(b'OK', response.body)
        self.assertEqual(self.installed,
                         pipeline.find_paste_config(self.conf))

    def test_a_copy_beside_the_config_file_wins(self):
        self.install()
        beside = os.path.join(self.conf_dir, 'api-paste.ini')
        shutil.copy(base.PASTE_INI, beside)
        self.assertEqual(beside, pipeline.find_paste_config(self.conf))
        logged = self.useFixture(fixtures.FakeLogger(
            name='vmact.api.pipeline'))
        pipeline.load_app(self.conf)
        self.assertEqual('Loading the pipeline from %s\n' % beside,
                         logged.output)

    def test_record_without_the_file_finds_nothing(self):
        distribution = self.install()
        os.remove(self.installed)
        self.assertIsNone(pipeline.installed_paste_config(
            'api-paste.ini', distribution))

    def test_pip_install_target_layout_is_found(self):
        # --target writes RECORD for a temporary prefix, then moves the
        # files: they end up in <target>/etc/vmact beside the dist-info.
        target = os.path.join(self.prefix, 'target')
        os.makedirs(os.path.join(target, 'etc', 'vmact'))
        installed = os.path.join(target, 'etc', 'vmact', 'api-paste.ini')
        shutil.copy(base.PASTE_INI, installed)
        dist_info = os.path.join(target, 'vmact-1.0.dist-info')
        os.makedirs(dist_info)
        with open(os.path.join(dist_info, 'RECORD'), 'w') as record:
            record.write('../../etc/vmact/api-paste.ini,,\n')
        self.assertEqual(installed, pipeline.installed_paste_config(
            'api-paste.ini',
            importlib_metadata.PathDistribution(pathlib.Path(dist_info))))


class PipelineLoadingTest(base.PipelineTestCase):
    """Building the pipeline refuses a configuration that cannot work."""

    def test_noauth_refuses_real_backends(self):
        self.agent('pbs', backend='nova')
        error = self.assertRaises(exception.ConfigError, self.load)
        self.assertIn('noauth', str(error))
        self.assertIn('[pbs] backend = nova', str(error))

    def test_noauth_warns_at_start(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='vmact.api.middleware.noauth'))
        self.load()
        self.assertIn('tokens are NOT validated', logger.output)

    def test_missing_paste_file(self):
        self.flags(group='api', api_paste_config='no-such-paste.ini')
        self.assertRaises(cfg.ConfigFilesNotFoundError, pipeline.load_app,
                          self.conf)


class PipelineTests(base.PipelineHelpers):
    """What the pipeline adds to every answer; one class per strategy."""

    def test_request_id_on_every_response(self):
        self.load()
        self.flags(group='oslo_middleware', max_request_body_size=300)
        responses = [
            self.act(),                                     # 200
            self.act(servers='off1'),                       # 409
            self.act(servers='off1,off2,%s' % base.DEMO2),       # 207
            self.act(token=None),                           # 401
            self.act(tenant_id='alt', servers=base.ALT1),        # 403
            self.act(servers='a/b'),                        # 400
            self.request('/nowhere'),                       # 404
            self.request(base.PATH, method='GET'),               # 405
            self.request(raw=b' ' * 400),                   # 413
            self.read([base.DEMO3]),                             # 200 read
            self.request('/healthcheck', method='GET', token=None),
        ]
        ids = [r.headers.get(base.REQUEST_ID) for r in responses]
        for response, request_id in zip(responses, ids):
            self.assertRegex(request_id or '', r'^req-[0-9a-f-]{36}$',
                             response.status)
        self.assertEqual(len(ids), len(set(ids)))

    def test_healthcheck_without_token(self):
        response = self.request('/healthcheck', method='GET', token=None)
        self.assertEqual(200, response.status_int, response.text)
        self.assertIn(base.REQUEST_ID, response.headers)
        self.assertEqual([], self.calls)


class NoauthPipelineTest(PipelineTests, base.PipelineTestCase):
    auth_strategy = 'noauth'


class KeystonePipelineTest(PipelineTests, base.PipelineTestCase):
    auth_strategy = 'keystone'


# A first end-to-end check of the pipeline in both auth strategies.

class NoauthSmokeTest(base.PipelineTestCase):

    def test_stop_then_status(self):
        response = self.act('os-stop', 'demo-RegionOne-1,demo-RegionOne-2')
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(b'', response.body)
        self.assertEqual({'demo-RegionOne-1': 'SHUTOFF',
                          'demo-RegionOne-2': 'SHUTOFF',
                          'demo-RegionOne-3': 'ACTIVE'},
                         self.status(['demo-RegionOne-1', 'demo-RegionOne-2',
                                      'demo-RegionOne-3']))

    def test_status_lines_carry_the_body_reason(self):
        response = self.act('os-stop', 'demo-RegionOne-1,off1')
        self.assertEqual('207 Multi-Status', response.status)
        self.assertEqual('Multi-Status', response.json['reason'])

    def test_success_is_a_bare_200(self):
        response = self.act('os-stop', 'demo-RegionOne-1')
        self.assertEqual('200 OK', response.status)
        self.assertNotIn('Content-Type', response.headers)
        self.assertEqual(b'', response.body)

    def test_token_that_cannot_be_a_header_is_401(self):
        for token in ('demo\r\nX-Injected: 1', 'demo token', 'd\u00e9mo'):
            spy = self.spy_backends()
            self.assertError(self.act(token=token), 401,
                             'requires authentication')
            self.assertEqual([], spy)

    def test_double_slash_is_not_folded_into_another_server(self):
        spy = self.spy_backends()
        response = self.request('/mana_api/vm_act/demo/RegionOne//'
                                'demo-RegionOne-1', body={'os-stop': None})
        self.assertError(response, 404)
        self.assertEqual([], spy)
        self.assertEqual({'demo-RegionOne-1': 'ACTIVE'},
                         self.status(['demo-RegionOne-1']))


class KeystoneSmokeTest(NoauthSmokeTest):
    auth_strategy = 'keystone'

    def test_no_token(self):
        self.assertError(self.act(token=None), 401,
                         'requires authentication')

    def test_401_says_where_to_get_a_token(self):
        response = self.act(token='no-such-token')
        self.assertError(response, 401, 'requires authentication')
        self.assertEqual(['Keystone uri="http://keystone.test/v3"'],
                         response.headers.getall('WWW-Authenticate'))
