"""vmact.conf.libcloud: the libcloud driver's options."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture

from tests.unit import base
from vmact.backends import libcloud as libcloud_backend
from vmact.conf import libcloud


class LibcloudOptsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # A config of its own: agent groups registered here stay here.
        self.own = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.own.register_opts(libcloud.list_opts(), group='ec2')

    def test_every_option_has_help_and_the_driver_lists_them(self):
        names = [opt.name for opt in libcloud.list_opts()]
        self.assertEqual(len(names), len(set(names)))
        for opt in libcloud.list_opts():
            self.assertTrue(opt.help and opt.help.strip(), opt.name)
        self.assertEqual(names, [opt.name for opt in
                                 libcloud_backend.LibcloudBackend.list_opts()
                                 if opt.name in names])

    def test_credentials_are_secret(self):
        secret = {opt.name for opt in libcloud.list_opts() if opt.secret}
        self.assertEqual({'key', 'secret', 'tenant_credentials'}, secret)

    def test_defaults_bound_every_call(self):
        group = self.own.conf.ec2
        self.assertEqual(['SOFT'], group.reboot_types)
        self.assertEqual(30.0, group.timeout)
        self.assertEqual(2, group.throttle_retries)
        self.assertEqual(0.5, group.throttle_backoff)
        self.assertTrue(group.secure)

    def test_limits_are_enforced(self):
        for name, value in (('timeout', 0), ('throttle_retries', -1),
                            ('max_concurrency', 0)):
            self.assertRaises(ValueError, self.own.config, group='ec2',
                              **{name: value})
