"""Jobs across tenants, their page bounds and Idempotency-Key scoping.

A job of ``demo`` read, listed or cancelled with a token of ``alt`` is
answered exactly like an unknown job, and nothing is cancelled; an admin
may read it. A page is never larger than ``[jobs] max_page_size``. The
same ``Idempotency-Key`` in another tenant never replays the first
tenant's answer.
"""

import uuid

from tests.hardening import base
from tests.hardening import jobs_support as support


def without(text, *values):
    for value in values:
        text = text.replace(value, '<id>')
    return text


class CrossTenantJobsTest(support.JobsPipelineCase):

    def setUp(self):
        super().setUp()
        self.job_id = self.create_job()
        self.unknown = str(uuid.uuid4())
        self.alt_token = self.cloud.token(project=base.OTHER_TENANT,
                                          user='alt-user')

    def assertSameAsUnknown(self, method, suffix=''):
        """``method`` on the job with alt's token: the unknown job's 404."""
        answers = []
        for job_id in (self.job_id, self.unknown):
            response = self.request('/mana_api/jobs/%s%s' % (job_id, suffix),
                                    method=method, token=self.alt_token)
            body = self.assertErrorFormat(response, 404)
            answers.append(without(body['msg'], job_id))
        self.assertEqual(answers[0], answers[1])
        self.assertNotIn(base.TENANT, answers[0])

    def assertUntouched(self):
        body = self.get('/mana_api/jobs/' + self.job_id).json
        self.assertFalse(body['cancel_requested'])
        self.assertEqual(3, body['counts']['pending'])
        self.assertEqual(0, body['counts']['cancelled'])

    def test_read_and_cancel_by_another_tenant_are_404(self):
        self.assertSameAsUnknown('GET')
        self.assertSameAsUnknown('GET', '?limit=1')
        self.assertSameAsUnknown('DELETE')
        self.assertUntouched()
        self.assertEqual([], self.nova.calls('POST'))

    def test_listing_by_another_tenant_shows_nothing(self):
        listed = self.get('/mana_api/jobs', token=self.alt_token)
        self.assertEqual(200, listed.status_int, listed.text)
        self.assertEqual([], listed.json['jobs'])
        foreign = self.get('/mana_api/jobs?tenant_id=demo',
                           token=self.alt_token)
        self.assertErrorFormat(foreign, 403)
        self.assertNotIn(self.job_id, foreign.text)
        answers = []
        for marker in (self.job_id, self.unknown):
            response = self.get('/mana_api/jobs?marker=' + marker,
                                token=self.alt_token)
            body = self.assertErrorFormat(response, 400)
            answers.append(without(body['msg'], marker))
        self.assertEqual(answers[0], answers[1])

    def test_admin_may_read_a_reader_may_not_cancel(self):
        admin = self.cloud.token(project=base.OTHER_TENANT,
                                 roles=('admin', 'member'), user='admin')
        shown = self.get('/mana_api/jobs/' + self.job_id, token=admin)
        self.assertEqual(200, shown.status_int, shown.text)
        self.assertEqual(base.TENANT, shown.json['tenant_id'])
        reader = self.cloud.token(roles=('reader',), user='reader')
        response = self.request('/mana_api/jobs/' + self.job_id,
                                method='DELETE', token=reader)
        self.assertErrorFormat(response, 403)
        self.assertUntouched()


class JobPageSizeTest(support.JobsPipelineCase):

    def setUp(self):
        super().setUp()
        self.servers = ['p-%02d' % n for n in range(30)]
        self.nova.add_servers(self.servers, base.TENANT)
        self.job_id = self.create_job(servers=self.servers)

    def test_limit_over_max_page_size_is_400(self):
        for path in ('/mana_api/jobs/' + self.job_id, '/mana_api/jobs'):
            for limit in (support.MAX_PAGE_SIZE + 1, 10 ** 6, '1' * 5000):
                response = self.get('%s?limit=%s' % (path, limit))
                body = self.assertErrorFormat(response, 400)
                self.assertIn('"limit"', body['msg'])
                self.assertLess(len(body['msg']), 400)

    def test_default_and_largest_pages(self):
        path = '/mana_api/jobs/' + self.job_id
        first = self.get(path).json
        self.assertEqual(self.servers[:support.PAGE_SIZE],
                         [s['id'] for s in first['servers']])
        self.assertIn('next', first)
        largest = self.get('%s?limit=%d' % (path, support.MAX_PAGE_SIZE))
        self.assertEqual(support.MAX_PAGE_SIZE,
                         len(largest.json['servers']))
        seen, url = [], path
        while url:
            page = self.get(url).json
            self.assertLessEqual(len(page['servers']), support.PAGE_SIZE)
            seen += [s['id'] for s in page['servers']]
            url = page.get('next')
        self.assertEqual(self.servers, seen)


class IdempotencyAcrossTenantsTest(support.JobsPipelineCase):

    def setUp(self):
        super().setUp()
        self.alt_token = self.cloud.token(project=base.OTHER_TENANT,
                                          user='alt-user')
        self.admin = self.cloud.token(roles=('admin', 'member'),
                                      user='admin')

    def post(self, tenant_id, servers, token, key, **extra):
        body = dict({'tenant_id': tenant_id, 'region': 'RegionOne',
                     'servers': servers, 'os-stop': None}, **extra)
        return self.request(body=body, token=token,
                            headers={'Idempotency-Key': key})

    def test_a_job_key_is_per_tenant(self):
        first = self.post(base.TENANT, ['vm-1'], True, 'k-1', **{
            'async': True})
        self.assertEqual(202, first.status_int, first.text)
        other = self.post(base.OTHER_TENANT, ['alt-1'], self.alt_token,
                          'k-1', **{'async': True})
        self.assertEqual(202, other.status_int, other.text)
        self.assertNotIn('Idempotent-Replayed', other.headers)
        self.assertNotEqual(first.json['job_id'], other.json['job_id'])
        self.assertEqual([other.json['job_id']],
                         self.job_ids(base.OTHER_TENANT))
        refused = self.post(base.TENANT, ['vm-1'], self.alt_token, 'k-1',
                            **{'async': True})
        self.assertErrorFormat(refused, 403)
        self.assertNotIn(first.json['job_id'], refused.text)
        # The key belongs to the tenant, not the user: demo's admin
        # sending demo's request again gets demo's job.
        replay = self.post(base.TENANT, ['vm-1'], self.admin, 'k-1',
                           **{'async': True})
        self.assertEqual(first.json, replay.json)
        self.assertEqual('true', replay.headers['Idempotent-Replayed'])
        self.assertEqual([first.json['job_id']], self.job_ids())

    def test_a_sync_key_is_per_tenant(self):
        first = self.post(base.TENANT, ['vm-1'], True, 'k-2')
        self.assertEqual(200, first.status_int, first.text)
        other = self.post(base.OTHER_TENANT, ['alt-1'], self.alt_token,
                          'k-2')
        self.assertEqual(200, other.status_int, other.text)
        self.assertNotIn('Idempotent-Replayed', other.headers)
        self.assertEqual({'vm-1': 1, 'alt-1': 1},
                         dict(self.nova.action_counts()))
        self.assertEqual('SHUTOFF', self.nova.server('alt-1').status)
