"""The options oslo-config-generator lists (vmact.conf.opts)."""

from tests.unit import base
from vmact.conf import agent
from vmact.conf import api
from vmact.conf import nova as nova_conf
from vmact.conf import opts
from vmact.conf import simulator as simulator_conf


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
