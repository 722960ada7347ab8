"""Start-up: agents load once, and bad configuration stops the service."""

import fixtures
from oslo_config import cfg

from tests.unit import base
from vmact.api import pipeline
from vmact import backends
from vmact.backends import simulator
from vmact.conf import agent
from vmact.conf import api
from vmact.conf import nova as nova_conf
from vmact.conf import opts
from vmact.conf import simulator as simulator_conf
from vmact import exception


class AgentLoadingTest(base.PipelineTestCase):

    def test_each_agent_gets_its_own_driver_instance(self):
        agents = backends.load_agents(self.conf)
        self.assertEqual(['pbs', 'scloudm'], sorted(agents))
        self.assertIsInstance(agents['scloudm'], simulator.SimulatorBackend)
        self.assertIsNot(agents['scloudm'], agents['pbs'])
        self.assertEqual('pbs', agents['pbs'].agent)

    def test_drivers_load_once_not_per_request(self):
        built = []
        original = simulator.SimulatorBackend.__init__

        def counting_init(backend, conf, agent):
            built.append(agent)
            original(backend, conf, agent)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.SimulatorBackend.__init__',
            counting_init))
        for _ in range(3):
            self.assertEqual(200, self.act().status_int)
            self.act('os-start')
        self.assertEqual(['scloudm', 'pbs'], built)

    def test_missing_backend_names_section_and_option(self):
        self.agent('pbs', backend='')
        error = self.assertRaises(exception.ConfigError, self.load)
        self.assertIn('[pbs] backend is required', str(error))

    def test_unknown_driver_lists_known_drivers(self):
        self.agent('pbs', backend='vmware')
        error = self.assertRaises(exception.ConfigError, self.load)
        self.assertIn('[pbs] backend = vmware: no such driver', str(error))
        self.assertIn('simulator', str(error))

    def test_driver_option_errors_name_the_section(self):
        self.agent('pbs', servers='demo:nowhere:x')
        error = self.assertRaises(exception.ConfigError, self.load)
        self.assertIn('[pbs] servers', str(error))

    def test_default_agent_must_be_enabled(self):
        self.flags(group='api', default_agent='ghost')
        error = self.assertRaises(exception.ConfigError, self.load)
        self.assertIn('default_agent = ghost', str(error))

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


class SampleConfigTest(base.TestCase):

    def test_every_option_has_help(self):
        for group, options in opts.list_opts():
            for opt in options:
                self.assertTrue(opt.help and opt.help.strip(),
                                'option %s in [%s] has no help'
                                % (opt.name, group))

    def test_every_option_is_in_the_sample(self):
        listed = {opt.name for _, options in opts.list_opts()
                  for opt in options}
        for module_opts in (api.OPTS, agent.OPTS, simulator_conf.OPTS,
                            nova_conf.list_opts()):
            self.assertLessEqual({o.name for o in module_opts}, listed)
