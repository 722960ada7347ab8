"""The plugin module's OSC hooks and its entry points in setup.cfg."""

import argparse
import configparser
import importlib
import os
import subprocess
import sys
from unittest import mock

import fixtures

from tests.unit.client import fakes
from vmact.client import client
from vmact.client.osc import plugin

SETUP_CFG = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                         'setup.cfg')


class PluginTest(fakes.ClientTestCase):

    def instance(self, **config):
        return mock.Mock(session=self.session, region_name='RegionOne',
                         interface='internal',
                         get_configuration=lambda: config)

    def test_make_client_uses_the_clouds_session_region_interface(self):
        vm = plugin.make_client(self.instance())
        self.assertIsInstance(vm, client.Client)
        self.http.get(fakes.INTERNAL_URL + '/mana_api/jobs', json={
            'jobs': []})
        self.assertEqual([], list(vm.jobs.list()))
        self.assertEqual(fakes.INTERNAL_URL + '/mana_api/jobs',
                         self.last().url)

    def test_endpoint_option_overrides_the_catalog(self):
        vm = plugin.make_client(self.instance(vm_endpoint='http://x.test'))
        self.http.get('http://x.test/mana_api/jobs', json={'jobs': []})
        list(vm.jobs.list())
        self.assertEqual('http://x.test/mana_api/jobs', self.last().url)

    def test_options_and_their_environment(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_VM_ENDPOINT',
                                                     'http://env.test'))
        parsed = plugin.build_option_parser(argparse.ArgumentParser())
        options = parsed.parse_args([])
        self.assertEqual(('1', 'http://env.test'),
                         (options.os_vm_api_version, options.os_vm_endpoint))

    def test_hooks_osc_requires(self):
        for name in ('API_NAME', 'API_VERSION_OPTION', 'API_VERSIONS',
                     'make_client', 'build_option_parser'):
            self.assertTrue(hasattr(plugin, name), name)
        self.assertEqual('os_vm_api_version', plugin.API_VERSION_OPTION)

    def test_setup_cfg_entry_points_name_real_commands(self):
        cfg = configparser.ConfigParser()
        cfg.read(SETUP_CFG)
        points = cfg['entry_points']
        self.assertEqual('vm = vmact.client.osc.plugin',
                         points['openstack.cli.extension'].strip())
        commands = dict(line.split(' = ') for line in
                        points['openstack.vm.v1'].strip().splitlines())
        self.assertEqual({'vm_start', 'vm_stop', 'vm_reboot', 'vm_status',
                          'vm_job_show', 'vm_job_list', 'vm_job_cancel',
                          'vm_job_wait'}, set(commands))
        for target in commands.values():
            module, cls = target.split(':')
            self.assertTrue(hasattr(importlib.import_module(module), cls))

    def test_server_needs_no_osc_lib(self):
        cfg = configparser.ConfigParser()
        cfg.read(SETUP_CFG)
        self.assertIn('osc-lib', cfg['extras']['osc'])
        with open(os.path.join(os.path.dirname(SETUP_CFG),
                               'requirements.txt')) as f:
            runtime = f.read()
        self.assertNotIn('osc-lib', runtime)
        self.assertNotIn('cliff', runtime)

    def test_the_client_imports_without_osc_lib_or_cliff(self):
        check = ('import sys, vmact.client; '
                 'print(sorted(m for m in ("osc_lib", "cliff") '
                 'if m in sys.modules))')
        out = subprocess.run([sys.executable, '-c', check], timeout=60,
                             capture_output=True, text=True, check=True)
        self.assertEqual('[]', out.stdout.strip())
