"""vmact.conf.simulator: the simulator driver's options."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture

from tests.unit import base
from vmact.backends import simulator as simulator_backend
from vmact.conf import simulator


class SimulatorOptsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # A config of its own: agent groups registered here stay here.
        self.own = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))

    def test_list_opts_has_every_option_with_help(self):
        self.assertEqual(
            ['regions', 'tenants', 'servers_per_tenant', 'servers', 'tags',
             'transition_delay'],
            [opt.name for opt in simulator.list_opts()])
        for opt in simulator.list_opts():
            self.assertTrue(opt.help and opt.help.strip(), opt.name)

    def test_the_driver_registers_these_options(self):
        self.assertEqual({o.name for o in simulator.list_opts()},
                         {o.name for o in
                          simulator_backend.SimulatorBackend.list_opts()})

    def test_servers_per_tenant_is_bounded(self):
        self.own.register_opts(simulator.list_opts(), group='sim')
        self.assertRaises(ValueError, self.own.config, group='sim',
                          servers_per_tenant=10001)
        self.own.config(group='sim', servers_per_tenant=10000)
        self.assertEqual(10000, self.own.conf.sim.servers_per_tenant)
