"""vmact.db.api, engine side: leases, marking, outcomes, and the races."""

from vmact.db import api as db_api

from tests.unit.db import base


class LeaseTest(base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.job = self.make_job()
        self.jid = self.job['id']

    def test_claim_sets_running_and_lease(self):
        self.assertEqual([self.jid], db_api.claimable_jobs(self.now, 10))
        claimed = db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertEqual(('RUNNING', 'e1', self.later(30)),
                         (claimed['status'], claimed['engine_id'],
                          claimed['lease_expires_at']))
        self.assertEqual([], db_api.claimable_jobs(self.now, 10))

    def test_second_engine_cannot_claim_a_leased_job(self):
        db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertIsNone(db_api.claim_job(self.jid, 'e2', self.later(29), 30))
        self.assertIsNone(db_api.claim_job(self.jid, 'e1', self.later(29), 30))
        self.assertEqual('e1', db_api.get_job(self.jid)['engine_id'])

    def test_expired_lease_can_be_claimed(self):
        db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertEqual([self.jid], db_api.claimable_jobs(self.later(31), 5))
        claimed = db_api.claim_job(self.jid, 'e2', self.later(31), 30)
        self.assertEqual(('e2', 'RUNNING'),
                         (claimed['engine_id'], claimed['status']))
        self.assertFalse(db_api.renew_lease(self.jid, 'e1', self.later(32),
                                            30))

    def test_renew_by_owner_only(self):
        db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertFalse(db_api.renew_lease(self.jid, 'e2', self.later(10),
                                            30))
        self.assertEqual(self.later(30),
                         db_api.get_job(self.jid)['lease_expires_at'])
        self.assertTrue(db_api.renew_lease(self.jid, 'e1', self.later(10),
                                           30))
        self.assertEqual(self.later(40),
                         db_api.get_job(self.jid)['lease_expires_at'])

    def test_release_lets_others_claim(self):
        db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertFalse(db_api.release_job(self.jid, 'e2'))
        self.assertTrue(db_api.release_job(self.jid, 'e1'))
        self.assertIsNotNone(db_api.claim_job(self.jid, 'e2', self.now, 30))

    def test_finish_by_owner_only_and_final_status_only(self):
        db_api.claim_job(self.jid, 'e1', self.now, 30)
        self.assertRaises(ValueError, db_api.finish_job, self.jid, 'e1',
                          'RUNNING', self.now)
        self.assertFalse(db_api.finish_job(self.jid, 'e2', 'FAIL', self.now))
        self.assertTrue(db_api.finish_job(self.jid, 'e1', 'PARTIAL',
                                          self.later(5)))
        job = db_api.get_job(self.jid)
        self.assertEqual(('PARTIAL', self.later(5), None, None),
                         (job['status'], job['finished_at'],
                          job['engine_id'], job['lease_expires_at']))
        self.assertEqual([], db_api.claimable_jobs(self.later(99), 5))
        self.assertFalse(db_api.renew_lease(self.jid, 'e1', self.now, 30))


class SendingTest(base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.jid = self.make_job(['s%d' % i for i in range(6)])['id']
        db_api.claim_job(self.jid, 'e1', self.now, 30)

    def test_mark_sending_two_statements_and_the_rows_marked(self):
        seen = self.count_statements()
        marked = db_api.mark_sending(self.jid, 'e1', [0, 1, 2], 'tok',
                                     self.now)
        self.assertEqual([(0, 's0'), (1, 's1'), (2, 's2')], marked)
        self.assertEqual([('UPDATE', False), ('SELECT', False)], seen)
        row = db_api.job_servers(self.jid, 1)[0]
        self.assertEqual(('sending', 'tok', self.now),
                         (row['state'], row['send_token'], row['sent_at']))

    def test_only_pending_rows_are_marked(self):
        db_api.mark_sending(self.jid, 'e1', [0], 'first', self.now)
        self.assertEqual([(1, 's1')], db_api.mark_sending(
            self.jid, 'e1', [0, 1], 'second', self.now))
        self.assertEqual('first', db_api.job_servers(self.jid, 1)[0]
                         ['send_token'])

    def test_cancelled_row_is_never_marked_sending(self):
        db_api.request_cancel(self.jid)
        self.assertEqual([], db_api.mark_sending(self.jid, 'e1', [0, 1],
                                                 'tok', self.now))
        self.assertEqual(['cancelled'] * 6, self.states(self.jid))

    def test_no_marking_without_a_live_lease(self):
        self.assertEqual([], db_api.mark_sending(self.jid, 'e2', [0], 't',
                                                 self.now))
        self.assertEqual([], db_api.mark_sending(self.jid, 'e1', [0], 't',
                                                 self.later(31)))
        self.assertEqual(['pending'] * 6, self.states(self.jid))

    def test_record_is_one_executemany_under_the_token(self):
        db_api.mark_sending(self.jid, 'e1', [0, 1, 2], 'tok', self.now)
        seen = self.count_statements()
        changed = db_api.record(self.jid, 'tok', [
            {'idx': 0, 'state': 'accepted', 'code': 202,
             'backend_request_id': 'req-1', 'accepted_at': self.now},
            {'idx': 1, 'state': 'failed', 'code': 409, 'msg': 'no'},
            {'idx': 2, 'state': 'pending', 'not_before': self.later(5)}])
        self.assertEqual([('UPDATE', True)], seen)
        self.assertEqual(3, changed)
        rows = db_api.job_servers(self.jid, 3)
        self.assertEqual(
            [('accepted', 202, 'req-1', 1), ('failed', 409, None, 1),
             ('pending', None, None, 1)],
            [(r['state'], r['code'], r['backend_request_id'], r['attempts'])
             for r in rows])
        self.assertEqual([(3, 's3')],
                         db_api.next_pending(self.jid, self.later(4), 1))
        self.assertEqual([(2, 's2')],
                         db_api.next_pending(self.jid, self.later(5), 1))

    def test_record_with_a_stale_token_changes_nothing(self):
        db_api.mark_sending(self.jid, 'e1', [0], 'old', self.now)
        self.assertEqual(0, db_api.record(self.jid, 'stale', [
            {'idx': 0, 'state': 'failed', 'code': 500}]))
        self.assertEqual(0, db_api.record(self.jid, 'old', [
            {'idx': 1, 'state': 'accepted'}]))
        self.assertEqual(['sending'] + ['pending'] * 5, self.states(self.jid))

    def test_record_refuses_unknown_states(self):
        self.assertRaises(ValueError, db_api.record, self.jid, 't',
                          [{'idx': 0, 'state': 'done'}])

    def test_set_states_from_the_named_state_only(self):
        db_api.mark_sending(self.jid, 'e1', [0, 1], 'tok', self.now)
        db_api.record(self.jid, 'tok', [
            {'idx': 0, 'state': 'accepted', 'backend_request_id': 'req-0'}])
        changed = db_api.set_states(self.jid, [
            {'idx': 0, 'old': 'accepted', 'state': 'succeeded', 'code': 200},
            {'idx': 1, 'old': 'accepted', 'state': 'failed', 'code': 504},
            {'idx': 2, 'old': 'accepted', 'state': 'failed', 'code': 504}])
        self.assertEqual(1, changed)
        self.assertEqual(['succeeded', 'sending', 'pending'],
                         self.states(self.jid)[:3])
        self.assertEqual('req-0', db_api.servers_in(self.jid, ['succeeded'])
                         [0]['backend_request_id'])
        self.assertEqual([1], [r['idx'] for r in
                               db_api.servers_in(self.jid, ['sending'])])
