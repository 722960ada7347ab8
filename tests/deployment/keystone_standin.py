"""A Keystone stand-in that counts what keystonemiddleware asks of it.

:class:`tests.fakes.keystone.FakeKeystone` as a fixture, with one service
user (:data:`SERVICE_USER`, :data:`SERVICE_PASSWORD`) for ``auth_token``:
version discovery, the service user's password authentication, and the
validation of user tokens (``GET /v3/auth/tokens``), which
:attr:`KeystoneStandIn.validations` counts. It runs in threads of the
test process on a loopback port.
"""

import uuid

import fixtures

from tests.fakes import keystone as fake_keystone

SERVICE_USER = 'vmact'
SERVICE_PASSWORD = 'service-password-' + uuid.uuid4().hex
SERVICE_PROJECT = 'service'
VALIDATE = ('GET', '/v3/auth/tokens')


class KeystoneStandIn(fixtures.Fixture):
    """Serve the stand-in; count every request by method and path."""

    def _setUp(self):
        # Its 404 names the token, as Keystone's does: keystonemiddleware
        # logs that message in a traceback, which vmact must mask.
        self.keystone = fake_keystone.FakeKeystone(name='keystone-standin')
        self.keystone.add_user(SERVICE_USER, SERVICE_PASSWORD,
                               SERVICE_PROJECT, roles=('service', 'admin'))
        self.keystone.listen()
        self.addCleanup(self.keystone.stop)
        self.url = self.keystone.url

    @property
    def validations(self):
        """How many user-token validations keystonemiddleware asked for."""
        return self.keystone.hits[VALIDATE]

    def count(self):
        """Requests of any kind so far."""
        return sum(self.keystone.hits.values())

    @property
    def calls(self):
        """``(count, 'METHOD path')`` of each kind of request so far."""
        return [(count, '%s %s' % key)
                for key, count in sorted(self.keystone.hits.items())]

    @property
    def service_tokens(self):
        """The tokens issued to the service user."""
        return self.keystone.tokens(SERVICE_PROJECT)

    def add_token(self, user='demo', project='demo',
                  roles=('member', 'reader')):
        """A new valid user token; returns its id."""
        return self.keystone.issue_token(user, project, roles)
