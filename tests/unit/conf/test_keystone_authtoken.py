"""vmact.conf.keystone_authtoken: vmact's defaults for keystonemiddleware."""

from tests.unit import base
from vmact.conf import keystone_authtoken


class KeystoneAuthtokenDefaultsTest(base.TestCase):

    def test_set_defaults_applies_every_default(self):
        keystone_authtoken.set_defaults(self.conf)
        group = self.conf[keystone_authtoken.GROUP]
        for name, value in keystone_authtoken.DEFAULTS.items():
            self.assertEqual(value, group[name], name)

    def test_every_default_names_a_keystonemiddleware_option(self):
        for name in keystone_authtoken.DEFAULTS:
            self.assertIn(name, self.conf[keystone_authtoken.GROUP])

    def test_the_configuration_still_wins(self):
        keystone_authtoken.set_defaults(self.conf)
        self.flags(group=keystone_authtoken.GROUP, http_connect_timeout=9)
        self.assertEqual(
            9, self.conf[keystone_authtoken.GROUP].http_connect_timeout)
