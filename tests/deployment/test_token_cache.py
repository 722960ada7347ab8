"""Scale-out: vmact processes share keystonemiddleware's token cache.

Debian's memcached on loopback, a Keystone stand-in that counts token
validations, and two ``vmact-api`` processes (``auth_strategy =
keystone``) that both cache in that memcached with
``memcache_security_strategy = ENCRYPT`` and one secret key. A token the
first process validated is accepted by the second with no call to
Keystone at all; a process with another secret key cannot read the cache
and validates again. (Status reads: actions skip the cache, see
``doc/source/authentication.rst``.)
"""

import time
import uuid

import testtools
from testtools import content

from tests.deployment import keystone_standin
from tests.deployment import servers
from tests.support import client

SECRET_KEY = 'memcache-secret-' + uuid.uuid4().hex

CONFIG = """\
[DEFAULT]
debug = true
# What keystonemiddleware and keystoneauth log at DEBUG must not leak.
default_log_levels = keystonemiddleware=DEBUG,keystoneauth=DEBUG,
  oslo_cache=DEBUG,urllib3=DEBUG

[api]
auth_strategy = keystone
api_paste_config = api-paste.ini
host = 127.0.0.1
port = {port}
enabled_agents = scloudm
default_agent = scloudm

[scloudm]
backend = simulator
regions = RegionOne
servers = demo:RegionOne:k432k234,demo:RegionOne:a342fsd
transition_delay = 0

[keystone_authtoken]
www_authenticate_uri = {keystone}/v3
auth_type = v3password
auth_url = {keystone}/v3
username = {user}
password = {password}
user_domain_name = Default
project_name = service
project_domain_name = Default
service_token_roles_required = true
memcached_servers = {memcached}
memcache_security_strategy = ENCRYPT
memcache_secret_key = {secret}
"""


class SharedTokenCacheTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.memcached = servers.Memcached()
        cls.keystone = keystone_standin.KeystoneStandIn()
        cls.started = []
        try:
            for fixture in (cls.memcached, cls.keystone):
                fixture.setUp()
                cls.started.append(fixture)
            cls.first = cls.vmact('vmact-a')
            cls.second = cls.vmact('vmact-b')
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for fixture in reversed(cls.started):
            fixture.cleanUp()
        super().tearDownClass()

    @classmethod
    def vmact(cls, name, secret=SECRET_KEY):
        def config(port):
            return CONFIG.format(
                port=port, keystone=cls.keystone.url,
                user=keystone_standin.SERVICE_USER,
                password=keystone_standin.SERVICE_PASSWORD,
                memcached=cls.memcached.server, secret=secret)
        fixture = servers.VmactApi(name, config)
        fixture.setUp()
        cls.started.append(fixture)
        return fixture

    def setUp(self):
        super().setUp()
        for fixture in self.started[2:]:
            self.addDetail(fixture.name, content.text_content(
                fixture.log()[-20000:]))
        self.addDetail('keystone-calls', content.text_content(
            '\n'.join('%s %s' % c for c in self.keystone.calls)))

    def act(self, server, token, action='reboot'):
        return client.request(
            server.port, 'POST', '/mana_api/vm_act/demo/RegionOne',
            {'servers': 'k432k234', action: None},
            {'X-Auth-Token': token})

    def read(self, server, token):
        """A status read (actions are validated with Keystone each time)."""
        return client.request(
            server.port, 'GET',
            '/mana_api/vm_act/demo/RegionOne?servers=k432k234',
            headers={'X-Auth-Token': token})

    def test_second_process_uses_the_first_ones_validation(self):
        token = self.keystone.add_token()
        validations = self.keystone.validations
        hits = int(self.memcached.stats()['get_hits'])

        response = self.read(self.first, token)
        self.assertEqual(200, response.status, response)
        self.assertEqual(validations + 1, self.keystone.validations)

        calls = self.keystone.count()
        response = self.read(self.second, token)
        self.assertEqual(200, response.status, response)
        # Not one call to Keystone of any kind: no validation, no service
        # authentication, no discovery.
        self.assertEqual(calls, self.keystone.count())
        self.assertEqual(validations + 1, self.keystone.validations)
        self.assertGreater(int(self.memcached.stats()['get_hits']), hits)

        response = self.read(self.first, token)
        self.assertEqual(200, response.status, response)
        self.assertEqual(calls, self.keystone.count())

    def test_token_first_seen_by_either_process_is_validated_once(self):
        token = self.keystone.add_token()
        validations = self.keystone.validations
        self.assertEqual(200, self.read(self.second, token).status)
        self.assertEqual(validations + 1, self.keystone.validations)
        for server in (self.first, self.second, self.first):
            self.assertEqual(200, self.read(server, token).status)
        self.assertEqual(validations + 1, self.keystone.validations)

    def test_unknown_token_is_401_from_both(self):
        unknown = 'not-a-token-' + uuid.uuid4().hex
        validations = self.keystone.validations
        for server in (self.first, self.second):
            response = self.read(server, unknown)
            self.assertEqual(401, response.status, response)
            self.assertEqual('Unauthorized', response.json['reason'])
        # keystonemiddleware caches only valid tokens: each process (and
        # each request) with an unknown token asks Keystone again.
        self.assertEqual(validations + 2, self.keystone.validations)

    def test_another_secret_key_cannot_read_the_cache(self):
        token = self.keystone.add_token()
        self.assertEqual(200, self.read(self.first, token).status)
        validations = self.keystone.validations
        other = self.vmact('vmact-other-key', secret='another-' + SECRET_KEY)
        self.assertEqual(200, self.read(other, token).status)
        self.assertEqual(validations + 1, self.keystone.validations)

    def test_logs_have_no_token_and_no_password(self):
        token = self.keystone.add_token()
        self.assertEqual(200, self.act(self.first, token).status)
        self.assertEqual(200, self.act(self.second, token).status)
        self.assertEqual(401, self.act(self.first, token + 'x').status)
        time.sleep(0.5)
        for server in (self.first, self.second):
            log = server.log()
            self.assertIn('DEBUG keystonemiddleware', log)
            self.assertIn('audit:', log)
            for secret in (token, keystone_standin.SERVICE_PASSWORD,
                           SECRET_KEY):
                self.assertNotIn(secret, log)
            for service_token in self.keystone.service_tokens:
                self.assertNotIn(service_token, log)
