"""vmact.conf.agent: the options of every agent section."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture

from tests.unit import base
from vmact.conf import agent
from vmact.conf import simulator


class AgentOptsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # A config of its own: agent groups registered here stay here.
        self.own = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))

    def test_every_option_has_help(self):
        for opt in agent.OPTS:
            self.assertTrue(opt.help and opt.help.strip(), opt.name)

    def test_common_options_go_in_the_agents_own_group(self):
        agent.register_agent_opts(self.own.conf, 'pbs')
        pbs = self.own.conf.pbs
        self.assertEqual(
            (None, 60, 1.0, 8.0),
            (pbs.backend, pbs.request_deadline, pbs.poll_interval,
             pbs.poll_max_interval))
        self.assertRaises(cfg.NoSuchOptError, getattr, self.own.conf.pbs,
                          'regions')

    def test_driver_options_join_the_common_ones(self):
        agent.register_agent_opts(self.own.conf, 'pbs', simulator.list_opts())
        self.assertEqual(['RegionOne'], self.own.conf.pbs.regions)
        self.assertEqual(60, self.own.conf.pbs.request_deadline)

    def test_registering_again_is_harmless(self):
        agent.register_agent_opts(self.own.conf, 'pbs')
        agent.register_agent_opts(self.own.conf, 'pbs', simulator.list_opts())
        self.assertEqual(1.0, self.own.conf.pbs.poll_interval)

    def test_deadline_below_its_minimum_is_refused(self):
        agent.register_agent_opts(self.own.conf, 'pbs')
        self.assertRaises(ValueError, self.own.config, group='pbs',
                          request_deadline=0)
