"""vmact.jobs.trusts against Keystone's own JSON (requests-mock)."""

import datetime

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import token_endpoint
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import requests
from requests_mock.contrib import fixture as requests_mock_fixture
import testtools

from vmact.conf import trustee as trustee_conf
from vmact import context
from vmact import exception
from vmact.jobs import trusts

KEYSTONE = 'http://keystone.test/v3'
TRUSTS = KEYSTONE + '/OS-TRUST/trusts'
TRUSTEE_ID = 'trustee-user-id'
DEADLINE = datetime.datetime(2026, 12, 2, 19, 30, 5, 250000)


def trust_json(trust_id='t-1'):
    """Keystone's answer to POST /v3/OS-TRUST/trusts."""
    return {'trust': {
        'id': trust_id, 'expires_at': '2026-12-02T19:30:05.250000Z',
        'impersonation': True, 'allow_redelegation': False,
        'links': {'self': '%s/%s' % (TRUSTS, trust_id)},
        'project_id': 'demo', 'remaining_uses': None,
        'redelegated_trust_id': None, 'redelegation_count': 0,
        'roles': [{'id': 'r1', 'name': 'member',
                   'links': {'self': KEYSTONE + '/roles/r1'}}],
        'roles_links': {'next': None, 'previous': None,
                        'self': '%s/%s/roles' % (TRUSTS, trust_id)},
        'trustee_user_id': TRUSTEE_ID, 'trustor_user_id': 'u1'}}


def keystone_error(code, title, message):
    return {'error': {'code': code, 'title': title, 'message': message}}


class TrustTestCase(testtools.TestCase):
    """Trusts with a ConfigOpts of the test's own.

    Loading a plugin registers its options (auth_url is required) on the
    conf it is given, for good: the global CONF would keep them.
    """

    def setUp(self):
        super().setUp()
        trusts.reset()
        self.addCleanup(trusts.reset)
        self.logger = self.useFixture(fixtures.FakeLogger())
        self.conf = cfg.ConfigOpts()
        trustee_conf.register_opts(self.conf)
        self.conf([], project='vmact', default_config_files=[])
        self.conf_fixture = self.useFixture(config_fixture.Config(self.conf))
        self.conf_fixture.load_raw_values(
            group='trustee', auth_type='v3password', auth_url=KEYSTONE,
            username='vmact', password='secret', user_domain_id='default',
            project_name='service', project_domain_id='default')
        self.mock = self.useFixture(requests_mock_fixture.Fixture())
        token = ks_fixture.V3Token(user_id=TRUSTEE_ID, project_id='svc')
        self.auth = self.mock.post(
            KEYSTONE + '/auth/tokens', json=token, status_code=201,
            headers={'X-Subject-Token': 'trustee-token'})
        self.ctx = context.RequestContext(
            user_id='u1', project_id='demo', roles=['member', 'reader'],
            auth_plugin=token_endpoint.Token(None, 'caller-token'))

    def create(self):
        return trusts.create(self.conf, self.ctx, 'demo', DEADLINE)


class CreateTest(TrustTestCase):

    def test_posts_the_trust_with_the_callers_token(self):
        posted = self.mock.post(TRUSTS, json=trust_json(), status_code=201)
        self.assertEqual('t-1', self.create())
        self.assertEqual('caller-token',
                         posted.last_request.headers['X-Auth-Token'])
        self.assertEqual({'trust': {
            'trustor_user_id': 'u1', 'trustee_user_id': TRUSTEE_ID,
            'project_id': 'demo', 'impersonation': True,
            'roles': [{'name': 'member'}, {'name': 'reader'}],
            'expires_at': '2026-12-02T19:30:05.250000Z'}},
            posted.last_request.json())

    def test_calls_have_the_trustee_timeout(self):
        posted = self.mock.post(TRUSTS, json=trust_json(), status_code=201)
        self.create()
        self.assertEqual(10, posted.last_request.timeout)
        self.assertEqual(10, self.auth.last_request.timeout)
        trusts.reset()
        self.conf.set_override('timeout', 2.5, group='trustee')
        self.create()
        self.assertEqual(2.5, posted.last_request.timeout)

    def test_trustee_user_id_is_asked_once(self):
        self.mock.post(TRUSTS, json=trust_json(), status_code=201)
        self.create()
        self.create()
        self.assertEqual(1, self.auth.call_count)

    def test_keystone_refusal_is_403_naming_why(self):
        for code, title in ((403, 'Forbidden'), (404, 'Not Found')):
            self.mock.post(TRUSTS, status_code=code, json=keystone_error(
                code, title, 'Could not find role: reader.'))
            e = self.assertRaises(exception.Forbidden, self.create)
            self.assertIn('Could not find role: reader.', e.msg)
            self.assertIn('(%d' % code, e.msg)
            self.assertIn('"demo"', e.msg)

    def test_keystone_unreachable_or_slow_is_503(self):
        for error in (requests.exceptions.ConnectionError,
                      requests.exceptions.ConnectTimeout,
                      requests.exceptions.ReadTimeout):
            self.mock.post(TRUSTS, exc=error)
            e = self.assertRaises(exception.VmactError, self.create)
            self.assertEqual(503, e.code, error)

    def test_trustee_authentication_unreachable_is_503(self):
        self.mock.post(KEYSTONE + '/auth/tokens',
                       exc=requests.exceptions.ConnectTimeout)
        e = self.assertRaises(exception.VmactError, self.create)
        self.assertEqual(503, e.code)

    def test_other_answers_are_502(self):
        self.mock.post(TRUSTS, status_code=500, json=keystone_error(
            500, 'Internal Server Error', 'An unexpected error'))
        e = self.assertRaises(exception.VmactError, self.create)
        self.assertEqual(502, e.code)
        self.mock.post(TRUSTS, status_code=201, text='<html>proxy</html>')
        e = self.assertRaises(exception.VmactError, self.create)
        self.assertEqual(502, e.code)

    def test_no_caller_credentials_is_503_and_no_call(self):
        self.ctx.auth_plugin = None
        e = self.assertRaises(exception.VmactError, self.create)
        self.assertEqual(503, e.code)
        self.assertEqual(0, self.mock.call_count)

    def test_no_trustee_section_is_503(self):
        self.conf = cfg.ConfigOpts()
        trustee_conf.register_opts(self.conf)
        self.conf([], project='vmact', default_config_files=[])
        e = self.assertRaises(exception.VmactError, self.create)
        self.assertEqual(503, e.code)
        self.assertIn('[trustee]', e.msg)


class ContextForTest(TrustTestCase):

    def test_trust_job_acts_with_the_trust_scoped_trustee(self):
        job = {'trust_id': 't-1', 'tenant_id': 'demo', 'user_id': 'u1',
               'roles': 'member,reader', 'request_id': 'req-1'}
        ctx = trusts.context_for(self.conf, job)
        self.assertEqual(('u1', 'demo', ['member', 'reader'], 'req-1'),
                         (ctx.user_id, ctx.project_id, ctx.roles,
                          ctx.request_id))
        plugin = ctx.auth_plugin
        self.assertEqual('t-1', plugin.trust_id)
        # The section's own project scope would make Keystone refuse.
        self.assertIsNone(plugin.project_name)
        self.assertIsNone(plugin.project_id)
        self.assertEqual('vmact', plugin.auth_methods[0].username)

    def test_trust_scoped_token_request(self):
        job = {'trust_id': 't-1', 'tenant_id': 'demo', 'roles': 'member'}
        plugin = trusts.context_for(self.conf, job).auth_plugin
        session = trusts.ks_loading.load_session_from_conf_options(
            self.conf, 'trustee', auth=plugin)
        self.assertEqual('trustee-token', session.get_token())
        self.assertEqual({'OS-TRUST:trust': {'id': 't-1'}},
                         self.auth.last_request.json()['auth']['scope'])

    def test_service_mode_job_has_no_plugin(self):
        ctx = trusts.context_for(self.conf, {'trust_id': None,
                                             'tenant_id': 'demo',
                                             'roles': ''})
        self.assertIsNone(ctx.auth_plugin)
        self.assertEqual([], ctx.roles)


class DeleteTest(TrustTestCase):

    def test_deletes_with_the_trustee_token(self):
        deleted = self.mock.delete(TRUSTS + '/t-1', status_code=204)
        self.assertTrue(trusts.delete(self.conf, 't-1'))
        self.assertEqual('trustee-token',
                         deleted.last_request.headers['X-Auth-Token'])

    def test_already_gone_counts_as_deleted(self):
        self.mock.delete(TRUSTS + '/t-1', status_code=404, json=keystone_error(
            404, 'Not Found', 'Could not find trust: t-1.'))
        self.assertTrue(trusts.delete(self.conf, 't-1'))

    def test_failures_are_warnings_never_raised(self):
        self.mock.delete(TRUSTS + '/t-1', status_code=403, json=keystone_error(
            403, 'Forbidden', 'You are not authorized.'))
        self.assertFalse(trusts.delete(self.conf, 't-1'))
        self.mock.delete(TRUSTS + '/t-1',
                         exc=requests.exceptions.ConnectTimeout)
        self.assertFalse(trusts.delete(self.conf, 't-1'))
        self.assertEqual(2, self.logger.output.count('Trust t-1 not deleted'))
