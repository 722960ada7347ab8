"""Reading, listing and cancelling jobs: representation, 404-not-403."""

import datetime
import re

from tests.unit.api import test_jobs
from tests.unit import base
from vmact.db import api as db_api

JOBS = test_jobs.JOBS
DEMO1, DEMO2, DEMO3 = base.DEMO1, base.DEMO2, base.DEMO3
ISO_Z = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
STATES = ('pending', 'sending', 'accepted', 'succeeded', 'skipped', 'failed',
          'cancelled')


class ReadTests(object):
    """Mixed into one class per auth strategy."""

    def alt_token(self):
        return self.owner_token('alt')

    def test_representation(self):
        job_id = self.new_job([DEMO2, DEMO1], action='reboot',
                              value={'type': 'hard'}, wait=30)
        response = self.get(JOBS + '/' + job_id)
        self.assertEqual(200, response.status_int)
        self.assertEqual('application/json', response.content_type)
        job = response.json
        self.assertEqual(
            {'job_id': job_id, 'tenant_id': 'demo', 'region': 'RegionOne',
             'agent': 'scloudm', 'action': {'reboot': {'type': 'HARD'}},
             'only_if_needed': False, 'wait': 30, 'status': 'INIT',
             'cancel_requested': False, 'user_id': 'demo',
             'server_count': 2, 'finished_at': None,
             'counts': dict(dict.fromkeys(STATES, 0), pending=2)},
            {k: v for k, v in job.items()
             if k not in ('created_at', 'updated_at', 'request_id',
                          'servers')})
        self.assertTrue(job['request_id'].startswith('req-'))
        for stamp in (job['created_at'], job['updated_at']):
            self.assertRegex(stamp, ISO_Z)
        self.assertEqual([DEMO2, DEMO1], [s['id'] for s in job['servers']])
        for server in job['servers']:
            self.assertEqual({'id', 'state', 'code', 'msg', 'updated_at'},
                             set(server))
            self.assertEqual(('pending', None, None),
                             (server['state'], server['code'],
                              server['msg']))
            self.assertRegex(server['updated_at'], ISO_Z)

    def test_start_and_stop_show_null_arguments(self):
        for action in ('os-start', 'os-stop'):
            job_id = self.new_job(action=action, only_if_needed=True)
            job = self.get(JOBS + '/' + job_id).json
            self.assertEqual({action: None}, job['action'])
            self.assertTrue(job['only_if_needed'])

    def test_another_tenants_job_is_404_like_an_unknown_one(self):
        job_id = self.new_job()
        unknown = str(test_jobs.uuid.uuid4())
        for method in ('GET', 'DELETE'):
            theirs = self.assertRefused(self.request(
                JOBS + '/' + job_id, method=method, token=self.alt_token()),
                404)
            missing = self.assertRefused(self.request(
                JOBS + '/' + unknown, method=method), 404)
            self.assertEqual(missing['msg'].replace(unknown, job_id),
                             theirs['msg'])
        self.assertEqual([], db_api.servers_in(job_id, ['cancelled']))

    def test_admin_reads_lists_and_cancels_any_tenants_job(self):
        job_id = self.new_job()
        admin = self.admin_token()
        self.assertEqual(200, self.request(JOBS + '/' + job_id, method='GET',
                                           token=admin).status_int)
        listed = self.request(JOBS + '?tenant_id=demo', method='GET',
                              token=admin).json['jobs']
        self.assertEqual([job_id], [job['job_id'] for job in listed])
        self.assertEqual(202, self.request(JOBS + '/' + job_id,
                                           method='DELETE',
                                           token=admin).status_int)

    def test_list_is_the_callers_project_by_default(self):
        mine = self.new_job()
        self.assertEqual([mine], [j['job_id'] for j in
                                  self.get(JOBS).json['jobs']])
        theirs = self.request(JOBS, method='GET', token=self.alt_token())
        self.assertEqual({'jobs': []}, theirs.json)

    def test_listing_another_tenant_needs_the_policy(self):
        self.new_job()
        response = self.request(JOBS + '?tenant_id=demo', method='GET',
                                token=self.alt_token())
        self.assertRefused(response, 403, 'vmact:jobs:list', '"demo"')

    def test_list_items_have_no_servers(self):
        job_id = self.new_job([DEMO1, DEMO2])
        item, = self.get(JOBS).json['jobs']
        self.assertEqual((job_id, 2), (item['job_id'], item['server_count']))
        self.assertNotIn('servers', item)

    def test_list_filters_by_status(self):
        job_id = self.new_job()
        self.assertEqual([job_id], [j['job_id'] for j in self.get(
            JOBS + '?status=init').json['jobs']])
        self.assertEqual([], self.get(JOBS + '?status=SUCCESS').json['jobs'])
        self.assertRefused(self.get(JOBS + '?status=DONE'), 400, '"status"',
                           'CANCELLED')

    def test_list_bad_tenant_is_400(self):
        self.assertRefused(self.get(JOBS + '?tenant_id=a.b'), 400,
                           '"tenant_id"')

    def test_cancel_cancels_what_is_not_sent(self):
        job_id = self.new_job([DEMO1, DEMO2, DEMO3])
        response = self.request(JOBS + '/' + job_id, method='DELETE')
        self.assertEqual(202, response.status_int, response.text)
        job = response.json
        self.assertNotIn('servers', job)
        self.assertTrue(job['cancel_requested'])
        self.assertEqual(3, job['counts']['cancelled'])
        shown = self.get(JOBS + '/' + job_id).json['servers']
        self.assertEqual(['cancelled'] * 3, [s['state'] for s in shown])
        self.assertIn('job=%s cancel: 3 servers cancelled' % job_id,
                      self.logger.output)

    def test_cancel_of_a_finished_job_changes_nothing(self):
        job_id = self.new_job()
        claimed = db_api.claim_job(job_id, 'e1', datetime.datetime.utcnow(),
                                   30)
        self.assertIsNotNone(claimed)
        db_api.finish_job(job_id, 'e1', 'SUCCESS', datetime.datetime.utcnow())
        job = self.request(JOBS + '/' + job_id, method='DELETE').json
        self.assertEqual(('SUCCESS', False, 0),
                         (job['status'], job['cancel_requested'],
                          job['counts']['cancelled']))
        self.assertRegex(job['finished_at'], ISO_Z)

    def test_database_unreachable_on_read_is_503(self):
        job_id = self.new_job()
        db_api.reset_for_tests('sqlite:////nonexistent-dir/vmact.sqlite')
        for method in ('GET', 'DELETE'):
            self.assertRefused(self.request(JOBS + '/' + job_id,
                                            method=method), 503,
                               'jobs database')


class NoauthReadTest(ReadTests, test_jobs.JobsTestCase):
    pass


class KeystoneReadTest(ReadTests, test_jobs.JobsTestCase):
    auth_strategy = 'keystone'

    def test_reader_reads_and_lists_but_cancel_is_403(self):
        job_id = self.new_job()
        reader = self.token(user='r', roles=('reader',))
        self.assertEqual(200, self.request(JOBS + '/' + job_id, method='GET',
                                           token=reader).status_int)
        self.assertEqual(1, len(self.request(JOBS, method='GET',
                                             token=reader).json['jobs']))
        response = self.request(JOBS + '/' + job_id, method='DELETE',
                                token=reader)
        self.assertRefused(response, 403, 'vmact:jobs:cancel')

    def test_reader_may_not_create_a_job(self):
        reader = self.token(user='r', roles=('reader',))
        self.assertRefused(self.create_job(token=reader), 403,
                           'vmact:vm_act:stop')
        self.assertEqual([], db_api.list_jobs(None, None, 10))
