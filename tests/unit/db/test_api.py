"""vmact.db.api, API side: jobs, listing, cancel, idempotency, purge."""

from vmact.db import api as db_api

from tests.unit.db import base

KEY = {'tenant_id': 'demo', 'key': 'k1', 'fingerprint': 'f' * 64,
       'status': 202, 'headers': {'Location': '/mana_api/jobs/x'},
       'body': b'{"status": "INIT"}'}


class CreateJobTest(base.DbTestCase):

    def test_job_and_servers_are_written_in_request_order(self):
        job = self.make_job(['b', 'a', 'c'], roles=['member', 'reader'],
                            user_id='u1')
        self.assertEqual(('INIT', 3, 'member,reader', False, None),
                         (job['status'], job['server_count'], job['roles'],
                          job['cancel_requested'], job['engine_id']))
        rows = db_api.job_servers(job['id'], 10)
        self.assertEqual([(0, 'b'), (1, 'a'), (2, 'c')],
                         [(r['idx'], r['server_id']) for r in rows])
        self.assertEqual({'pending': 3}, db_api.job_counts(job['id']))
        self.assertEqual(job, db_api.get_job(job['id']))
        self.assertIsNone(db_api.get_job('nope'))

    def test_other_spellings_of_a_server_are_written_skipped(self):
        job = db_api.create_job(
            {'tenant_id': 'demo', 'region': 'R', 'agent': 'a',
             'action': 'os-stop', 'deadline': self.now},
            ['ab-1', 'AB-1', 'c'], same_as={'AB-1': 'ab-1'})
        rows = db_api.job_servers(job['id'], 10)
        self.assertEqual([('pending', None, None),
                          ('skipped', 200, 'Same server as ab-1'),
                          ('pending', None, None)],
                         [(r['state'], r['code'], r['msg']) for r in rows])
        self.assertEqual([(0, 'ab-1'), (2, 'c')],
                         db_api.next_pending(job['id'], self.now, 10))

    def test_three_statements_whatever_the_number_of_servers(self):
        seen = self.count_statements()
        db_api.create_job({'tenant_id': 'demo', 'region': 'R', 'agent': 'a',
                           'action': 'os-stop', 'deadline': self.now},
                          ['s%d' % i for i in range(2000)], dict(KEY))
        writes = [s for s in seen if s[0] == 'INSERT']
        self.assertEqual([('INSERT', False), ('INSERT', False),
                          ('INSERT', True)], writes)

    def test_idempotency_row_is_stored_with_the_job(self):
        job = self.make_job(idempotency=dict(KEY))
        stored = db_api.get_idempotency('demo', 'k1')
        self.assertEqual((202, job['id'], {'Location': '/mana_api/jobs/x'},
                          '{"status": "INIT"}'),
                         (stored['status'], stored['job_id'],
                          stored['headers'], stored['body']))

    def test_duplicate_key_writes_no_second_job(self):
        self.make_job(idempotency=dict(KEY))
        self.assertRaises(db_api.DuplicateKey, self.make_job,
                          idempotency=dict(KEY))
        self.assertEqual(1, len(db_api.list_jobs(None, None, 10)))

    def test_claimed_key_is_completed_not_inserted(self):
        self.assertTrue(db_api.claim_idempotency('demo', 'k1', 'f' * 64))
        job = self.make_job(idempotency=dict(KEY, claimed=True))
        self.assertEqual(job['id'],
                         db_api.get_idempotency('demo', 'k1')['job_id'])
        self.assertRaises(db_api.DuplicateKey, self.make_job,
                          idempotency=dict(KEY, claimed=True))


class ReadTest(base.DbTestCase):

    def test_servers_page_after_an_index(self):
        job = self.make_job(['a', 'b', 'c', 'd'])
        idx = db_api.server_idx(job['id'], 'b')
        self.assertEqual(1, idx)
        self.assertEqual(['c', 'd'], [r['server_id'] for r in
                                      db_api.job_servers(job['id'], 5, idx)])
        self.assertEqual(['a'], [r['server_id'] for r in
                                 db_api.job_servers(job['id'], 1)])
        self.assertIsNone(db_api.server_idx(job['id'], 'zzz'))

    def test_list_newest_first_filtered_and_paged(self):
        ids = [self.make_job(created_at=self.later(i))['id']
               for i in range(3)]
        other = self.make_job(tenant_id='alt', created_at=self.later(9))
        self.assertEqual(ids[::-1], [j['id'] for j in
                                     db_api.list_jobs('demo', None, 10)])
        page = db_api.list_jobs('demo', None, 2)
        self.assertEqual(ids[:1], [j['id'] for j in db_api.list_jobs(
            'demo', None, 2, page[-1]['id'])])
        self.assertEqual([], db_api.list_jobs('demo', 'SUCCESS', 10))
        self.assertEqual(4, len(db_api.list_jobs(None, 'INIT', 10)))
        self.assertRaises(db_api.MarkerNotFound, db_api.list_jobs,
                          'demo', None, 10, other['id'])

    def test_same_created_at_pages_by_id(self):
        ids = sorted(self.make_job(created_at=self.now)['id']
                     for _ in range(3))
        first = db_api.list_jobs('demo', None, 1)
        rest = db_api.list_jobs('demo', None, 5, first[0]['id'])
        self.assertEqual(ids[::-1],
                         [j['id'] for j in first + rest])


class CancelTest(base.DbTestCase):

    def test_pending_servers_are_cancelled_the_rest_go_on(self):
        job = self.make_job()
        db_api.claim_job(job['id'], 'e1', self.now, 30)
        db_api.mark_sending(job['id'], 'e1', [0], 't', self.now)
        self.assertEqual(2, db_api.request_cancel(job['id']))
        self.assertEqual(['sending', 'cancelled', 'cancelled'],
                         self.states(job['id']))
        row = db_api.job_servers(job['id'], 5)[1]
        self.assertEqual((None, db_api.CANCELLED_MSG),
                         (row['code'], row['msg']))
        self.assertTrue(db_api.get_job(job['id'])['cancel_requested'])

    def test_finished_job_is_left_alone(self):
        job = self.make_job()
        db_api.claim_job(job['id'], 'e1', self.now, 30)
        db_api.finish_job(job['id'], 'e1', 'FAIL', self.now)
        self.assertEqual(0, db_api.request_cancel(job['id']))
        self.assertFalse(db_api.get_job(job['id'])['cancel_requested'])
        self.assertEqual(0, db_api.request_cancel('unknown'))


class IdempotencyTest(base.DbTestCase):

    def test_claim_store_replay(self):
        self.assertTrue(db_api.claim_idempotency('demo', 'k', 'fp'))
        self.assertFalse(db_api.claim_idempotency('demo', 'k', 'fp'))
        self.assertTrue(db_api.claim_idempotency('alt', 'k', 'fp'))
        self.assertIsNone(db_api.get_idempotency('demo', 'k')['status'])
        self.assertTrue(db_api.store_idempotency(
            'demo', 'k', 200, [['X', '1']], b''))
        self.assertFalse(db_api.store_idempotency('demo', 'k', 500, [], ''))
        stored = db_api.get_idempotency('demo', 'k')
        self.assertEqual((200, [['X', '1']], '', 'fp'),
                         (stored['status'], stored['headers'],
                          stored['body'], stored['fingerprint']))

    def test_release_drops_only_a_claim_in_progress(self):
        db_api.claim_idempotency('demo', 'a', 'fp')
        db_api.claim_idempotency('demo', 'b', 'fp')
        db_api.store_idempotency('demo', 'b', 200, {}, '')
        self.assertTrue(db_api.release_idempotency('demo', 'a'))
        self.assertFalse(db_api.release_idempotency('demo', 'b'))
        self.assertIsNone(db_api.get_idempotency('demo', 'a'))
        self.assertIsNotNone(db_api.get_idempotency('demo', 'b'))


class PurgeTest(base.DbTestCase):

    def test_old_finished_jobs_and_old_keys_go(self):
        old = self.make_job(idempotency=dict(KEY))
        db_api.claim_job(old['id'], 'e', self.now, 30)
        db_api.finish_job(old['id'], 'e', 'SUCCESS', self.now)
        running = self.make_job()
        db_api.claim_job(running['id'], 'e', self.now, 30)
        recent = self.make_job()
        db_api.claim_job(recent['id'], 'e', self.now, 30)
        db_api.finish_job(recent['id'], 'e', 'SUCCESS', self.later(60))
        self.assertEqual((1, 1), db_api.purge(self.later(1)))
        self.assertIsNone(db_api.get_job(old['id']))
        self.assertEqual([], db_api.job_servers(old['id'], 10))
        self.assertIsNone(db_api.get_idempotency('demo', 'k1'))
        self.assertEqual({running['id'], recent['id']},
                         {j['id'] for j in db_api.list_jobs(None, None, 9)})
        self.assertEqual((0, 0), db_api.purge(self.later(1)))
