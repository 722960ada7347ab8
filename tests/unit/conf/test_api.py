"""vmact.conf.api: the [api] group."""

from oslo_config import cfg

from tests.unit import base
from vmact.conf import api


class ApiOptsTest(base.TestCase):

    def test_list_opts_is_the_api_group_with_its_options(self):
        [(group, opts)] = api.list_opts().items()
        self.assertEqual('api', group.name)
        self.assertIs(api.OPTS, opts)
        for opt in opts:
            self.assertTrue(opt.help and opt.help.strip(), opt.name)

    def test_registered_on_the_global_config(self):
        names = {opt.name for opt in api.OPTS}
        self.assertLessEqual({'auth_strategy', 'enabled_agents',
                              'default_agent', 'max_servers_per_request',
                              'max_wait'}, names)
        for name in names:
            self.assertIn(name, self.conf.api)

    def test_register_opts_on_a_new_config(self):
        conf = cfg.ConfigOpts()
        api.register_opts(conf)
        conf([], default_config_files=[])
        self.assertEqual(500, conf.api.max_servers_per_request)
        self.assertEqual(600, conf.api.max_wait)
