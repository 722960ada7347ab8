"""Jobs end to end: progress, engine crashes, sharing, cancel.

Against the real Keystone and Novas, PostgreSQL, RabbitMQ and
``vmact-engine`` processes; every case asserts what Nova itself shows
(its instance actions, as the admin). The servers are the 50 of
:mod:`server_pool` (tenant-a, RegionTwo), ACTIVE again after each test.
"""

import signal
import time

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import server_pool
from tests.hardening import figures

REGION = cloud.REGION_TWO
#: [jobs] of the slow engines: a job of n servers lasts about n / 5 s.
SLOW = {'rate': 5, 'burst': 1, 'chunk_size': 1}
#: [jobs] of engines that take a dead engine's job over within seconds.
SHORT_LEASE = {'lease_time': 3, 'lease_renew_interval': 1,
               'scan_interval': 1}
RECEIVED_MSG = 'Received by the backend before an engine restart'


def nonzero(counts):
    """A job's ``counts`` without the states no server is in."""
    return {state: n for state, n in counts.items() if n}


class JobsTestBase(base.JobsTestCase):

    #: The pool's first creation takes 60-130 s.
    TIMEOUT = 600

    def pool(self, count=50, start=0):
        """Pool servers from ``start`` on, ACTIVE now and after the test."""
        servers = server_pool.servers(self.cloud, 50)[start:start + count]
        self.cloud.ensure_status(REGION, servers, 'ACTIVE')
        self.addCleanup(self.cloud.ensure_status, REGION, servers, 'ACTIVE')
        return servers

    def stop_body(self, servers, **extra):
        return self.body('os-stop', servers, region=REGION, **extra)

    def assertNewActions(self, expected, before, name='stop'):
        """Nova shows ``expected[server]`` more ``name`` actions each."""
        after = self.action_count(list(expected), name)
        self.assertEqual(expected, {server: after[server] - before[server]
                                    for server in expected})


class JobProgressTest(JobsTestBase):
    """A big job, ten jobs on two engines, and a cancel."""

    def test_a_50_server_job_acts_once_per_server(self):
        servers = self.pool()
        self.start_engines(2)
        stops = self.action_count(servers, 'stop')
        starts = self.action_count(servers, 'start')
        started = time.monotonic()
        job = self.wait_job(self.post_job(self.stop_body(servers, wait=60)),
                            timeout=120)
        seconds = time.monotonic() - started
        self.assertEqual('SUCCESS', job['status'], job)
        self.assertEqual({'succeeded': 50}, nonzero(job['counts']))
        self.assertEqual(dict.fromkeys(servers, 'succeeded'),
                         self.server_states(job))
        self.assertNewActions(dict.fromkeys(servers, 1), stops)
        self.assertEqual({'SHUTOFF'}, {self.cloud.show_server(
            REGION, server)['status'] for server in servers})
        restore = self.wait_job(self.post_job(self.body(
            'os-start', servers, region=REGION, wait=60)), timeout=120)
        self.assertEqual('SUCCESS', restore['status'], restore)
        self.assertNewActions(dict.fromkeys(servers, 1), starts, 'start')
        self.assertNewActions(dict.fromkeys(servers, 1), stops)
        figures.record('job_50_servers_stop_wait', seconds=round(seconds, 2))

    def test_two_engines_share_ten_jobs(self):
        servers = self.pool()
        group = self.start_engines(2, max_running_jobs=2, rate=10, burst=1,
                                   chunk_size=1, scan_interval=1)
        before = self.action_count(servers, 'stop')
        job_ids = [self.post_job(self.stop_body(servers[i:i + 5]))
                   for i in range(0, 50, 5)]
        jobs = [self.wait_job(job_id, timeout=90) for job_id in job_ids]
        self.assertEqual(['SUCCESS'] * 10, [job['status'] for job in jobs])
        claimed = {engine.name: {job_id for job_id in job_ids
                                 if 'Job %s claimed' % job_id in engine.log()}
                   for engine in group}
        self.assertTrue(all(claimed.values()), claimed)
        self.assertEqual(set(job_ids), set.union(*claimed.values()))
        self.assertNewActions(dict.fromkeys(servers, 1), before)
        figures.record('ten_jobs_two_engines', jobs_by_engine={
            name: len(ids) for name, ids in claimed.items()})

    def test_cancel_stops_what_is_not_sent(self):
        servers = self.pool(20)
        self.start_engines(1, rate=2, burst=1, chunk_size=1)
        before = self.action_count(servers, 'stop')
        job_id = self.post_job(self.stop_body(servers))
        self.wait_job(job_id, until=lambda job: job['counts'].get(
            'accepted', 0) >= 3)
        response = self.delete_job(job_id)
        self.assertEqual(202, response.status_code, response.text)
        self.assertNotIn('servers', response.json())
        job = self.wait_job(job_id)
        self.assertEqual('CANCELLED', job['status'], job)
        states = self.server_states(job)
        self.assertEqual({'accepted', 'cancelled'}, set(states.values()))
        cancelled = [s for s in servers if states[s] == 'cancelled']
        self.assertGreater(len(cancelled), 5)
        for server in job['servers']:
            if server['state'] == 'cancelled':
                self.assertEqual('Cancelled before it was sent',
                                 server['msg'])
        self.assertNewActions({server: int(states[server] == 'accepted')
                               for server in servers}, before)


class EngineCrashTest(JobsTestBase):
    """SIGKILL of an engine mid-job; rows left ``sending`` by a crash."""

    def holder(self, group, job_id):
        """The one engine that logged claiming ``job_id``."""
        holders = [engine for engine in group
                   if 'Job %s claimed' % job_id in engine.log()]
        self.assertEqual(1, len(holders), [e.name for e in holders])
        return holders[0]

    def test_sigkill_mid_job_then_takeover_acts_once_per_server(self):
        servers = self.pool()
        group = self.start_engines(2, **dict(SLOW, **SHORT_LEASE))
        before = self.action_count(servers, 'stop')
        job_id = self.post_job(self.stop_body(servers))
        job = self.wait_job(job_id, until=lambda job: job['counts'].get(
            'accepted', 0) >= 10)
        self.assertGreater(job['counts'].get('pending', 0), 15, job)
        victim = self.holder(group, job_id)
        self.assertEqual(-signal.SIGKILL, victim.kill(signal.SIGKILL))
        killed = time.monotonic()
        survivor = next(engine for engine in group if engine is not victim)
        survivor.wait_for_log('Job %s claimed' % job_id, timeout=60)
        takeover = time.monotonic() - killed
        victim.restart()
        job = self.wait_job(job_id, timeout=60)
        self.assertEqual('SUCCESS', job['status'], job)
        self.assertEqual({'accepted'}, set(self.server_states(job).values()))
        self.assertNewActions(dict.fromkeys(servers, 1), before)
        # Lease 3 s, scan every 1 s: about 2 to 4 s on an idle machine.
        figures.record('job_takeover_after_sigkill',
                       seconds=round(takeover, 2))

    def test_rows_left_sending_are_reconciled_with_nova(self):
        acted, not_acted = servers = self.pool(2, start=48)
        before = self.action_count(servers, 'stop')
        # No engine runs: the job waits in the database.
        job_id = self.post_job(self.stop_body(servers))
        self.sql("UPDATE jobs SET status = 'RUNNING', "
                 "engine_id = 'dead-engine:1:0', lease_expires_at = "
                 "(now() at time zone 'utc') - interval '1 second' "
                 "WHERE id = %s AND status = 'INIT'", (job_id,))
        self.sql("UPDATE job_servers SET state = 'sending', "
                 "send_token = 'dead-token', "
                 "sent_at = now() at time zone 'utc' WHERE job_id = %s",
                 (job_id,))
        self.assertEqual([('sending',)] * 2, self.sql(
            'SELECT state FROM job_servers WHERE job_id = %s', (job_id,)))
        # The dead engine's call to the first server was received.
        self.cloud.nova(cloud.ALICE, REGION).servers.stop(acted)
        self.cloud.wait_for_status(REGION, acted, 'SHUTOFF')
        self.start_engines(1, **SHORT_LEASE)
        job = self.wait_job(job_id, timeout=60)
        self.assertEqual('SUCCESS', job['status'], job)
        rows = {server['id']: server for server in job['servers']}
        self.assertEqual(('accepted', 202), (rows[acted]['state'],
                                             rows[acted]['code']))
        self.assertIn(RECEIVED_MSG, rows[acted]['msg'])
        self.assertEqual(('accepted', 202), (rows[not_acted]['state'],
                                             rows[not_acted]['code']))
        self.assertNotIn(RECEIVED_MSG, rows[not_acted]['msg'] or '')
        self.assertNewActions({acted: 1, not_acted: 1}, before)
