"""Where load_app finds api-paste.ini when the config does not name a path.

An installed vmact has the api-paste.ini pip put under its install
scheme's data directory (``<venv>/etc/vmact``): a config file alone must
be enough. The installed distribution is a real
``importlib.metadata.PathDistribution`` over a RECORD written here, laid
out as pip lays out a virtualenv.
"""

from importlib import metadata as importlib_metadata
import os
import pathlib
import shutil

import fixtures
from tests.unit import base
from vmact.api import pipeline

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
