"""load_agents: agents load once; bad agent configuration stops start-up."""

import fixtures

from tests.unit import base
from vmact import backends
from vmact.backends import simulator
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
