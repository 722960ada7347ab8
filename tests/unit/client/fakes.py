"""A Keystone catalog with vmact in it, mocked with requests-mock."""

from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from oslotest import base
from requests_mock.contrib import fixture as rm_fixture

from vmact import client

AUTH_URL = 'http://keystone.test/v3'
VMACT_URL = 'http://vmact.test/root'
INTERNAL_URL = 'http://vmact-internal.test'
TOKEN = 'tok-123'
PROJECT = 'p1'


def catalog_token():
    token = ks_fixture.V3Token(project_id=PROJECT, user_id='u1')
    service = token.add_service('vmact', name='vmact')
    service.add_endpoint('public', VMACT_URL, region='RegionOne')
    service.add_endpoint('internal', INTERNAL_URL, region='RegionOne')
    compute = token.add_service('compute', name='nova')
    compute.add_endpoint('public', 'http://nova.test', region='RegionOne')
    return token


class ClientTestCase(base.BaseTestCase):
    """A client on a password session whose catalog lists vmact."""

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.http.post(AUTH_URL + '/auth/tokens', json=catalog_token(),
                       headers={'X-Subject-Token': TOKEN})
        self.session = ks_session.Session(auth=v3.Password(
            auth_url=AUTH_URL, username='u', password='secret',
            project_id=PROJECT, user_domain_id='default'))
        self.vm = client.Client(self.session, region_name='RegionOne')

    def url(self, path):
        return VMACT_URL + path

    def last(self):
        return self.http.request_history[-1]
