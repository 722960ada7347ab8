"""``vmact-status upgrade check``: each check, and oslo.upgradecheck's codes.

The database is a sqlite file (a new connection per check, as the command
makes); the agents are simulators, or a Nova agent acting as the caller.
"""

import io
import json
import os

import fixtures
from keystoneauth1 import loading as ks_loading

from tests.unit import base
from vmact.cmd import status
from vmact.db import migration

SIMULATORS = """\
[DEFAULT]
state_path = %(state)s
%(transport)s
[api]
enabled_agents = scloudm
default_agent = scloudm

[scloudm]
backend = simulator
"""

NOVA_AS_CALLER = """\
[api]
enabled_agents = scloudm
default_agent = scloudm

[scloudm]
backend = nova
auth_mode = token
"""


class StatusTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.config = os.path.join(self.tmp, 'vmact.conf')
        self.write()
        self.addCleanup(self.conf.unregister_opts,
                        ks_loading.get_auth_plugin_conf_options('password'),
                        group='trustee')

    def write(self, transport='', extra=''):
        with open(self.config, 'w') as f:
            f.write(SIMULATORS % {'state': os.path.join(self.tmp, 's'),
                                  'transport': transport} + extra)

    def sync(self):
        self.conf(['--config-file', self.config], project='vmact',
                  default_config_files=[])
        migration.upgrade(self.conf)
        self.conf.reset()

    def check(self):
        """(exit code, {check name: (result code, details)})."""
        out = self.useFixture(fixtures.MonkeyPatch(
            'sys.stdout', io.StringIO())).new_value
        code = status.main(['--config-file', self.config, 'upgrade',
                            'check', '--json'])
        results = {c['check']: (c['result'], c['details'])
                   for c in json.loads(out.getvalue())['checks']}
        return code, results

    def test_a_database_not_synced_fails_with_what_to_run(self):
        code, results = self.check()
        self.assertEqual(2, code)
        result, details = results['Database schema']
        self.assertEqual(2, result)
        self.assertIn('vmact-manage db sync', details)

    def test_in_process_engine_is_a_warning(self):
        self.sync()
        code, results = self.check()
        self.assertEqual(1, code)
        self.assertEqual(0, results['Database schema'][0])
        self.assertEqual(0, results['Agents'][0])
        self.assertIn('scloudm (simulator)', results['Agents'][1])
        self.assertEqual(0, results['Trustee'][0])
        self.assertEqual(1, results['Message transport'][0])
        self.assertIn('in-process', results['Message transport'][1])

    def test_all_good_is_0(self):
        self.sync()
        self.write(transport='transport_url = rabbit://u:p@127.0.0.1:5672/')
        code, results = self.check()
        self.assertEqual(0, code, results)
        self.assertNotIn('u:p', json.dumps(results))

    def test_an_agent_that_does_not_load_fails(self):
        self.sync()
        self.write(extra='\n[api]\nenabled_agents = scloudm,ghost\n')
        code, results = self.check()
        self.assertEqual(2, code)
        self.assertEqual(2, results['Agents'][0])
        self.assertIn('[ghost] backend', results['Agents'][1])
        self.assertEqual(1, results['Trustee'][0])

    def test_an_agent_acting_as_the_caller_needs_the_trustee(self):
        self.sync()
        with open(self.config, 'a') as f:
            f.write(NOVA_AS_CALLER)
        code, results = self.check()
        self.assertEqual(2, code)
        self.assertEqual(2, results['Trustee'][0])
        self.assertIn('[trustee] auth_type', results['Trustee'][1])
        with open(self.config, 'a') as f:
            f.write('\n[trustee]\nauth_type = password\n'
                    'auth_url = http://127.0.0.1:5000/v3\nusername = vmact\n'
                    'password = secret\nuser_domain_name = Default\n')
        code, results = self.check()
        self.assertEqual(0, results['Trustee'][0], results)
        self.assertNotIn('secret', json.dumps(results))
