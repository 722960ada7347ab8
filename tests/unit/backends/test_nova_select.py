"""``select`` on the nova driver: Nova's filtered, paged server list.

requests-mock'ed Keystone and Nova, through the test bases of test_nova.
"""

import urllib.parse

from tests.unit.backends import test_nova
from vmact.backends import base
from vmact.backends import nova_select
from vmact import exception

NOVA_ONE = test_nova.NOVA_ONE
TENANT = test_nova.TENANT
OTHER = test_nova.OTHER_TENANT
DETAIL = NOVA_ONE + '/servers/detail'


def listed(server_id, tenant_id=TENANT, tags=('web',), name=None,
           status='ACTIVE'):
    return {'id': server_id, 'tenant_id': tenant_id, 'tags': list(tags),
            'name': name or server_id, 'status': status}


class SelectCases(object):

    def on_list(self, *pages):
        self.http.get(DETAIL, [{'json': {'servers': list(page)}}
                               for page in pages])

    def query(self, call):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(call.url).query)

    def select(self, selector=base.Selector(tags=('web',)), ctx=None):
        return self.backend().select(ctx or self.user_context(), TENANT,
                                     'RegionOne', selector)

    def list_calls(self):
        return [c for c in self.http.request_history
                if c.path.endswith('/servers/detail')]

    def test_pages_until_a_short_page_one_call_per_page(self):
        self.set(select_page_size=2)
        self.on_list([listed('a'), listed('b')], [listed('c'), listed('d')],
                     [listed('e')])
        self.assertEqual(('a', 'b', 'c', 'd', 'e'), self.select())
        calls = self.list_calls()
        self.assertEqual(3, len(calls))
        self.assertEqual([None, ['b'], ['d']],
                         [self.query(c).get('marker') for c in calls])
        self.assertEqual([['2']] * 3, [self.query(c)['limit'] for c in calls])
        self.assertEqual([], [c for c in self.http.request_history
                              if c.hostname == 'nova-one.test'
                              and not c.path.endswith('/servers/detail')])

    def test_filters_and_microversion_are_sent(self):
        self.on_list([])
        self.select(base.Selector(('web', 'prod'), ('a', 'b'), '^w.*1$',
                                  'SHUTOFF'))
        call = self.list_calls()[0]
        query = self.query(call)
        self.assertEqual(['web,prod'], query['tags'])
        self.assertEqual(['a,b'], query['tags-any'])
        self.assertEqual(['^w.*1$'], query['name'])
        self.assertEqual(['SHUTOFF'], query['status'])
        self.assertEqual('2.26', call.headers['X-OpenStack-Nova-API-Version'])

    def test_a_higher_agent_microversion_is_kept(self):
        self.set(microversion='2.79')
        self.on_list([])
        self.select()
        self.assertEqual('compute 2.79',
                         self.list_calls()[0].headers['OpenStack-API-Version'])

    def test_each_server_is_checked_again(self):
        # As if Nova had ignored the filters: nothing wider is selected.
        self.on_list([listed('ok'), listed('foreign', OTHER),
                      listed('untagged', tags=()),
                      listed('off', status='SHUTOFF'),
                      listed('named-x', name='other')])
        selector = base.Selector(('web',), (), '^(ok|off|named-x)$',
                                 'ACTIVE')
        self.assertEqual(('ok',), self.select(selector))

    def test_more_pages_than_allowed_is_400(self):
        self.set(select_page_size=1, select_max_pages=2)
        self.on_list([listed('a')], [listed('b')], [listed('c')])
        error = self.assertRaises(exception.BadRequest, self.select)
        self.assertIn('more than 2 pages of 1', error.msg)
        self.assertEqual(2, len(self.list_calls()))

    def test_nova_refusal_is_the_whole_requests_error(self):
        self.http.get(DETAIL, status_code=403, json=test_nova.nova_error(
            403, 'Policy does not allow it'))
        error = self.assertRaises(exception.VmactError, self.select)
        self.assertEqual(403, error.code)
        self.assertIn('Policy does not allow it', error.msg)

    def test_unreadable_list_is_502(self):
        self.http.get(DETAIL, json={'servers': [{'name': 'no id'}]})
        error = self.assertRaises(exception.BackendError, self.select)
        self.assertEqual(502, error.code)


class TokenModeSelectTest(SelectCases, test_nova.NovaTestCase):

    def test_own_project_lists_without_all_tenants(self):
        self.on_list([])
        self.select()
        self.assertNotIn('all_tenants', self.query(self.list_calls()[0]))

    def test_admin_lists_the_tenant_only(self):
        self.on_list([listed('a'), listed('b', OTHER)])
        ctx = self.user_context(project_id=OTHER, roles=('admin',))
        self.assertEqual(('a',), self.select(ctx=ctx))
        query = self.query(self.list_calls()[0])
        self.assertEqual((['1'], [TENANT]),
                         (query['all_tenants'], query['project_id']))


class ServiceMode(test_nova.NovaTestCase):
    """test_nova's service-mode setup, without its tests."""

    auth_options = test_nova.ServiceModeTest.auth_options
    config_args = test_nova.ServiceModeTest.config_args

    def setUp(self):
        super().setUp()
        self.http.post(
            test_nova.KEYSTONE + '/auth/tokens', status_code=201,
            json=test_nova.token_body(test_nova.SERVICE_PROJECT,
                                      roles=('admin', 'service')),
            headers={'X-Subject-Token': test_nova.SERVICE_TOKEN})


class ServiceModeSelectTest(SelectCases, ServiceMode):

    def test_service_mode_scopes_to_the_tenant_and_checks_owners(self):
        self.on_list([listed('mine'), listed('theirs', OTHER)])
        self.assertEqual(('mine',), self.select())
        query = self.query(self.list_calls()[0])
        self.assertEqual((['1'], [TENANT]),
                         (query['all_tenants'], query['project_id']))
        self.assertEqual(test_nova.SERVICE_TOKEN,
                         self.list_calls()[0].headers['X-Auth-Token'])


class QueryTest(test_nova.oslotest_base.BaseTestCase):

    def test_query_is_only_what_the_selector_says(self):
        self.assertEqual([('status', 'ACTIVE')], nova_select.query(
            base.Selector(status='ACTIVE'), TENANT, False))
