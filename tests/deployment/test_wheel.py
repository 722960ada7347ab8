"""The README's Apache recipe: a wheel, a venv, one config file.

vmact is built into a wheel, pip-installs it into a virtualenv of
Debian's python3 under /tmp, outside the checkout (its requirements come
from the cached deployment venv), and Debian's apache2 serves it with the
sample vhost. The configuration is the README's minimal
``/etc/vmact/vmact.conf``, taken from the README itself, with only the
Keystone URL and the service password pointed at a Keystone stand-in; it
is the only file in its directory, so api-paste.ini must be the one pip
installed with vmact.
"""

import os

import testtools
from testtools import content

from tests.deployment import base
from tests.deployment import keystone_standin
from tests.deployment import readme
from tests.deployment import servers
from tests.support import client

README_KEYSTONE = 'https://keystone.example.com'
README_PASSWORD = "<the vmact user's password>"


def minimal_config():
    """The README's minimal production config, as the README shows it."""
    blocks = [block for block in
              readme.section_blocks('Deployment under Apache')
              if '[keystone_authtoken]' in block]
    if len(blocks) != 1:
        raise AssertionError('README: %d minimal config blocks in '
                             '"Deployment under Apache", not 1'
                             % len(blocks))
    return blocks[0] + '\n'


class InstalledWheelUnderApacheTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = minimal_config()
        cls.keystone = keystone_standin.KeystoneStandIn()
        cls.keystone.setUp()
        cls.server = servers.SampleVhost(cls.config_for, wheel=True)
        try:
            # A fixture whose setUp fails has cleaned itself up already.
            cls.server.setUp()
        except Exception:
            cls.keystone.cleanUp()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanUp()
        cls.keystone.cleanUp()
        super().tearDownClass()

    @classmethod
    def config_for(cls, port):
        for placeholder in (README_KEYSTONE, README_PASSWORD):
            if placeholder not in cls.config:
                raise AssertionError('README minimal config has no %r'
                                     % placeholder)
        return cls.config.replace(README_KEYSTONE, cls.keystone.url).replace(
            README_PASSWORD, keystone_standin.SERVICE_PASSWORD)

    def setUp(self):
        super().setUp()
        self.addDetail('vmact-error.log', content.text_content(
            self.server.read_log('vmact-error.log')[-20000:]))
        self.addDetail('apache-error.log', content.text_content(
            self.server.read_log('error.log')[-20000:]))

    def request(self, method, path, body=None, headers=None):
        return client.request(self.server.port, method, path, body,
                              headers)

    def test_installed_outside_the_checkout_with_one_config_file(self):
        self.assertFalse(self.server.venv.startswith(servers.REPO + os.sep))
        self.assertEqual(['vmact.conf'],
                         os.listdir(os.path.dirname(self.server.config_file)))
        installed = os.path.join(self.server.venv, 'etc', 'vmact',
                                 'api-paste.ini')
        self.assertTrue(os.path.isfile(installed))
        self.assertTrue(os.path.isfile(os.path.join(
            self.server.venv, 'bin', 'vmact-wsgi')))
        self.assertIn('Loading the pipeline from %s' % installed,
                      self.server.read_log('vmact-error.log'))

    def test_health_check_is_served(self):
        response = self.request('GET', '/healthcheck')
        self.assertEqual(200, response.status, response)
        self.assertEqual(b'OK', response.body)

    def test_no_token_is_the_json_401(self):
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne',
            body={'servers': 'k432k234', 'os-stop': None})
        self.assertEqual(401, response.status, response)
        self.assertEqual(base.UNAUTHORIZED, response.json)

    def test_tokens_are_validated_by_the_configured_keystone(self):
        validations = self.keystone.validations
        response = self.request(
            'POST', '/mana_api/vm_act/demo/RegionOne',
            body={'servers': 'k432k234', 'os-stop': None},
            headers={'X-Auth-Token': 'not-a-token'})
        self.assertEqual(401, response.status, response)
        self.assertEqual('Unauthorized', response.json['reason'])
        self.assertEqual(validations + 1, self.keystone.validations)
