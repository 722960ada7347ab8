"""vmact.conf.nova: the nova driver's options."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture

from tests.unit import base
from vmact.backends import nova as nova_backend
from vmact.conf import nova


class NovaOptsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # A config of its own: agent groups registered here stay here.
        self.own = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))

    def test_list_opts_has_vmacts_session_and_auth_options(self):
        names = [opt.name for opt in nova.list_opts()]
        self.assertLessEqual(
            {'auth_mode', 'interface', 'microversion', 'connect_timeout',
             'read_timeout', 'cafile', 'insecure', 'auth_type'}, set(names))
        self.assertEqual(len(names), len(set(names)))
        for opt in nova.list_opts():
            self.assertTrue(opt.help and opt.help.strip(), opt.name)

    def test_keystoneauths_single_timeout_is_replaced(self):
        self.assertNotIn('timeout',
                         [opt.name for opt in nova.session_opts()])

    def test_sample_adds_the_password_plugins_options(self):
        sample = {opt.name for opt in nova.list_sample_opts()}
        self.assertLessEqual({'username', 'password', 'auth-url'}, sample)
        self.assertNotIn('username',
                         {opt.name for opt in nova.list_opts()})

    def test_auth_mode_is_token_or_service(self):
        self.own.register_opts(nova.list_opts(), group='pbs')
        self.assertEqual(nova.TOKEN, self.own.conf.pbs.auth_mode)
        self.own.config(group='pbs', auth_mode=nova.SERVICE)
        self.assertRaises(ValueError, self.own.config, group='pbs',
                          auth_mode='trust')

    def test_microversion_must_be_explicit(self):
        self.own.register_opts(nova.list_opts(), group='pbs')
        self.assertRaises(ValueError, self.own.config, group='pbs',
                          microversion='latest')
        self.own.config(group='pbs', microversion='2.96')
        self.assertEqual('2.96', self.own.conf.pbs.microversion)

    def test_the_driver_registers_these_options(self):
        self.assertEqual({o.name for o in nova.list_opts()},
                         {o.name for o in
                          nova_backend.NovaBackend.list_opts()})
