"""client.jobs: show, paging through next links, list, cancel, wait."""

from tests.unit.client import fakes
from vmact.client import exceptions

JOB_ID = '6f1c1d0e-8d7a-4f51-9a57-3f0f3b0c9a10'
JOB_PATH = '/mana_api/jobs/' + JOB_ID


def job_body(status='RUNNING', wait=0, **counts):
    every = dict.fromkeys(('pending', 'sending', 'accepted', 'succeeded',
                           'skipped', 'failed', 'cancelled'), 0)
    every.update(counts)
    return {'job_id': JOB_ID, 'status': status, 'wait': wait,
            'server_count': sum(every.values()), 'counts': every,
            'action': {'os-stop': None}, 'servers': []}


class Clock(object):
    """A clock that moves only when the code under test sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class JobsTest(fakes.ClientTestCase):

    def setUp(self):
        super().setUp()
        self.clock = Clock()
        self.vm.jobs.sleep = self.clock.sleep
        self.vm.jobs.clock = lambda: self.clock.now

    def test_get_with_paging_parameters(self):
        self.http.get(self.url(JOB_PATH), json=job_body(accepted=2))
        job = self.vm.jobs.get(JOB_ID, limit=5, marker='srv-3')
        self.assertEqual({'limit': ['5'], 'marker': ['srv-3']},
                         self.last().qs)
        self.assertEqual((JOB_ID, 'RUNNING', 2, 2, False),
                         (job.id, job.status, job.total, job.done,
                          job.finished))

    def test_unknown_job_is_not_found(self):
        self.http.get(self.url(JOB_PATH), status_code=404, json={
            'msg': 'No such job: "%s".' % JOB_ID, 'code': 404,
            'reason': 'Not Found'})
        e = self.assertRaises(exceptions.NotFound, self.vm.jobs.get, JOB_ID)
        self.assertIn(JOB_ID, e.msg)

    def test_servers_follow_next_on_the_clients_own_path(self):
        first = dict(job_body(), servers=[{'id': 'a'}, {'id': 'b'}],
                     next='/elsewhere' + JOB_PATH + '?limit=2&marker=b')
        second = dict(job_body(), servers=[{'id': 'c'}])
        self.http.get(self.url(JOB_PATH), [{'json': first},
                                           {'json': second}])
        ids = [s['id'] for s in self.vm.jobs.servers(JOB_ID, limit=2)]
        self.assertEqual(['a', 'b', 'c'], ids)
        self.assertEqual({'limit': ['2'], 'marker': ['b']}, self.last().qs)
        self.assertEqual(self.url(JOB_PATH) + '?limit=2&marker=b',
                         self.last().url)

    def test_list_follows_next_and_filters(self):
        one = {'jobs': [job_body('SUCCESS')],
               'next': '/mana_api/jobs?limit=1&marker=%s&status=SUCCESS'
                       '&tenant_id=demo' % JOB_ID}
        two = {'jobs': [dict(job_body('SUCCESS'), job_id='j-2')]}
        self.http.get(self.url('/mana_api/jobs'), [{'json': one},
                                                   {'json': two}])
        listed = self.vm.jobs.list(tenant_id='demo', status='SUCCESS')
        self.assertEqual([JOB_ID, 'j-2'], [job.id for job in listed])
        first, second = self.http.request_history[-2:]
        self.assertEqual({'tenant_id': ['demo'], 'status': ['success']},
                         first.qs)
        self.assertEqual('SUCCESS', second.qs['status'][0].upper())
        self.assertEqual([JOB_ID.lower()], second.qs['marker'])

    def test_cancel(self):
        self.http.delete(self.url(JOB_PATH), status_code=202,
                         json=dict(job_body(cancelled=3),
                                   cancel_requested=True))
        job = self.vm.jobs.cancel(JOB_ID)
        self.assertEqual('DELETE', self.last().method)
        self.assertTrue(job['cancel_requested'])

    def test_wait_reports_progress_until_the_job_ends(self):
        self.http.get(self.url(JOB_PATH), [
            {'json': job_body('INIT', pending=3)},
            {'json': job_body(pending=1, accepted=1, failed=1)},
            {'json': job_body('PARTIAL', accepted=2, failed=1)}])
        seen = []
        job = self.vm.jobs.wait(JOB_ID, timeout=30, interval=2,
                                on_progress=seen.append)
        self.assertEqual('PARTIAL', job.status)
        self.assertEqual([(0, 0), (2, 1), (3, 1)],
                         [(j.done, j.failed) for j in seen])
        self.assertEqual([2, 2], self.clock.sleeps)
        self.assertEqual({'limit': ['1']}, self.last().qs)

    def test_with_wait_accepted_servers_are_not_done(self):
        self.http.get(self.url(JOB_PATH),
                      json=job_body(wait=60, accepted=2, succeeded=1))
        self.assertEqual(1, self.vm.jobs.get(JOB_ID).done)

    def test_wait_times_out_with_the_last_read(self):
        self.http.get(self.url(JOB_PATH), json=job_body(pending=5))
        e = self.assertRaises(exceptions.WaitTimeout, self.vm.jobs.wait,
                              JOB_ID, timeout=5, interval=2)
        self.assertEqual('RUNNING', e.job.status)
        self.assertEqual([2, 2, 1], self.clock.sleeps)
        self.assertIn('still RUNNING after 5 s', e.msg)
