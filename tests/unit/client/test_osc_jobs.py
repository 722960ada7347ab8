"""``openstack vm job show|list|cancel|wait`` through cliff's App."""

import json

from tests.unit.client import osc_fakes
from tests.unit.client import test_client_jobs as job_fakes

JOB_ID = job_fakes.JOB_ID
JOB_PATH = job_fakes.JOB_PATH


def reboot_job(status='RUNNING', **counts):
    return dict(job_fakes.job_body(status, **counts),
                action={'reboot': {'type': 'HARD'}}, region='RegionOne',
                agent='scloudm', created_at='2026-12-01T19:00:00.000000Z')


class JobShowListCancelTest(osc_fakes.CommandTestCase):

    def test_show(self):
        self.http.get(self.url(JOB_PATH),
                      json=reboot_job(accepted=2, failed=1))
        code, out, err = self.run_vm(['vm', 'job', 'show', JOB_ID,
                                      '-f', 'json'])
        self.assertEqual((0, ''), (code, err))
        shown = json.loads(out)
        self.assertEqual((JOB_ID, 'RUNNING', 'reboot HARD', 3),
                         (shown['job_id'], shown['status'], shown['action'],
                          shown['server_count']))
        self.assertEqual({'accepted': 2, 'failed': 1}, shown['counts'])
        self.assertEqual({'limit': ['1']}, self.last().qs)

    def test_show_unknown_job(self):
        self.http.get(self.url(JOB_PATH), status_code=404, json={
            'msg': 'No such job: "%s".' % JOB_ID, 'code': 404,
            'reason': 'Not Found'})
        code, out, err = self.run_vm(['vm', 'job', 'show', JOB_ID])
        self.assertEqual((1, ''), (code, out))
        self.assertEqual('No such job: "%s". (HTTP 404)\n' % JOB_ID, err)

    def test_list_pages_and_filters(self):
        second = dict(reboot_job('SUCCESS'), job_id='j-2',
                      action={'os-stop': None})
        self.http.get(self.url('/mana_api/jobs'), [
            {'json': {'jobs': [reboot_job('SUCCESS')],
                      'next': '/mana_api/jobs?limit=1&marker=' + JOB_ID}},
            {'json': {'jobs': [second]}}])
        code, out, err = self.run_vm(['vm', 'job', 'list', '--status',
                                      'success', '--project', 'p2',
                                      '-f', 'value', '-c', 'ID', '-c',
                                      'Action'])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual([JOB_ID + ' reboot HARD', 'j-2 os-stop'],
                         out.splitlines())
        first_query = self.http.request_history[-2].qs
        self.assertEqual({'status': ['success'], 'tenant_id': ['p2']},
                         first_query)

    def test_list_limit_stops_reading_pages(self):
        listing = self.http.get(self.url('/mana_api/jobs'), json={
            'jobs': [reboot_job()], 'next': '/mana_api/jobs?marker=x'})
        code, out, _ = self.run_vm(['vm', 'job', 'list', '--limit', '1',
                                    '-f', 'value', '-c', 'ID'])
        self.assertEqual((0, JOB_ID + '\n'), (code, out))
        self.assertEqual(1, listing.call_count)

    def test_cancel(self):
        self.http.delete(self.url(JOB_PATH), status_code=202, json=dict(
            reboot_job(accepted=1, cancelled=2), cancel_requested=True))
        code, out, err = self.run_vm(['vm', 'job', 'cancel', JOB_ID,
                                      '-f', 'json'])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual('DELETE', self.last().method)
        self.assertEqual({'accepted': 1, 'cancelled': 2},
                         json.loads(out)['counts'])
        self.assertIs(True, json.loads(out)['cancel_requested'])


class JobWaitTest(osc_fakes.CommandTestCase):

    def test_wait_shows_progress_then_the_servers_under_the_bulk_rule(self):
        servers = [{'id': 'a', 'state': 'accepted', 'code': 202, 'msg': None},
                   {'id': 'b', 'state': 'cancelled', 'code': None,
                    'msg': 'Cancelled before it was sent'},
                   {'id': 'c', 'state': 'skipped', 'code': 200,
                    'msg': 'Already SHUTOFF'}]
        self.http.get(self.url(JOB_PATH), [
            {'json': reboot_job(pending=3)},
            {'json': reboot_job(pending=1, accepted=1, skipped=1)},
            {'json': reboot_job('CANCELLED', accepted=1, skipped=1,
                                cancelled=1)},
            {'json': dict(reboot_job('CANCELLED'), servers=servers)}])
        code, out, err = self.run_vm(['vm', 'job', 'wait', JOB_ID, '-f',
                                      'value'], tty=True)
        self.assertEqual(1, code)
        self.assertEqual(['a accepted 202 None',
                          'b cancelled None Cancelled before it was sent',
                          'c skipped 200 Already SHUTOFF'], out.splitlines())
        bar, *messages = err.split('\n')
        self.assertEqual(['0/3', '2/3', '3/3'],
                         [draw.split()[1] for draw in bar.split('\r')[1:]])
        self.assertEqual(['Failed to complete server b: Cancelled before it '
                          'was sent', '1 of 3 servers failed to complete.',
                          ''], messages)
        self.assertEqual([2.0, 2.0], self.sleeps)

    def test_wait_on_a_finished_job_lists_at_once(self):
        self.http.get(self.url(JOB_PATH), [
            {'json': reboot_job('SUCCESS', accepted=1)},
            {'json': dict(reboot_job('SUCCESS'), servers=[
                {'id': 'a', 'state': 'accepted', 'code': 202,
                 'msg': None}])}])
        code, out, err = self.run_vm(['vm', 'job', 'wait', JOB_ID, '-f',
                                      'value', '-c', 'Server'])
        self.assertEqual((0, 'a\n', ''), (code, out, err))
        self.assertEqual([], self.sleeps)

    def test_wait_for_an_unknown_job(self):
        self.http.get(self.url(JOB_PATH), status_code=404, json={
            'msg': 'No such job: "%s".' % JOB_ID, 'code': 404,
            'reason': 'Not Found'})
        code, out, err = self.run_vm(['vm', 'job', 'wait', JOB_ID],
                                     tty=True)
        self.assertEqual((1, ''), (code, out))
        self.assertEqual('No such job: "%s". (HTTP 404)\n' % JOB_ID, err)
