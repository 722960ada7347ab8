"""A waited job follows each accepted server, from its own acceptance."""

import datetime

from oslo_utils import timeutils

from tests.unit.jobs import base as jobs_base
from vmact.backends import base
from vmact.db import api as db
from vmact import exception
from vmact.jobs import follow


class WaitedJobTest(jobs_base.JobTestCase):

    def test_servers_followed_until_they_reach_the_target(self):
        self.backend = jobs_base.make_backend(delay=0.05)
        job = self.run_job(self.new_job(['on0', 'on1', 'on2', 'on3'],
                                        wait=5))
        self.assertEqual(dict.fromkeys(['on0', 'on1', 'on2', 'on3'],
                                       ('succeeded', 200)),
                         self.outcomes(job['id']))
        self.assertEqual('reached SHUTOFF',
                         self.rows(job['id'])['on0']['msg'])
        self.assertEqual('SUCCESS', job['status'])

    def test_a_server_not_there_in_time_fails_504_with_its_last_state(self):
        self.backend = jobs_base.make_backend(delay=30)
        job = self.run_job(self.new_job(['on0', 'off0'], wait=0.1))
        self.assertEqual({'on0': ('failed', 504), 'off0': ('failed', 409)},
                         self.outcomes(job['id']))
        msg = self.rows(job['id'])['on0']['msg']
        self.assertIn('did not get there in 0.1s', msg)
        self.assertIn('last status ACTIVE, task_state powering-off', msg)
        self.assertEqual('FAIL', job['status'])
        self.assertEqual(1, self.backend.sent['on0'])

    def test_without_wait_accepted_is_final(self):
        self.backend = jobs_base.make_backend(delay=30)
        job = self.run_job(self.new_job(['on0']))
        self.assertEqual({'on0': ('accepted', 202)}, self.outcomes(job['id']))


class FakeRunner(object):
    """What the Follower uses of a JobRunner."""

    def __init__(self, case, job, backend, wait=10):
        self.job, self.job_id, self.backend = job, job['id'], backend
        self.action = base.Action(base.STOP, wait=wait)
        self.opts = case.conf.jobs
        self.context = None
        self.audited = []

    def target(self, servers):
        return base.Target(jobs_base.TENANT, jobs_base.REGION,
                           tuple(servers))

    def audit(self, outcome, state):
        self.audited.append((outcome.server, state))


class ScriptedShow(object):
    """A backend whose reads are scripted per server."""

    def __init__(self, opts, shows):
        self.opts, self.shows, self.reads = opts, shows, []

    def show(self, context, target):
        self.reads.append(target.servers)
        if isinstance(self.shows, Exception):
            raise self.shows
        return [self.shows[server] for server in target.servers]


class FollowerTest(jobs_base.JobTestCase):

    def follower(self, shows, servers=('a', 'b'), wait=10, **job):
        job = self.new_job(servers, wait=wait, **job)
        claimed = self.claim(job)
        token = 'tok'
        db.mark_sending(job['id'], jobs_base.ENGINE,
                        list(range(len(servers))), token, timeutils.utcnow())
        db.record(job['id'], token, [{'idx': i, 'state': 'accepted',
                                      'code': 202}
                                     for i in range(len(servers))])
        self.scripted = ScriptedShow(self.backend.opts, shows)
        self.fake = FakeRunner(self, claimed, self.scripted, wait)
        return follow.Follower(self.fake), claimed

    def test_each_servers_wait_counts_from_its_acceptance(self):
        follower, job = self.follower({})
        first = self.now
        follower.add(0, 'a', first)
        follower.add(1, 'b', first + datetime.timedelta(seconds=30))
        self.assertEqual(first + datetime.timedelta(seconds=10),
                         follower.followed[0].deadline)
        self.assertEqual(first + datetime.timedelta(seconds=40),
                         follower.followed[1].deadline)
        self.assertEqual(first + datetime.timedelta(seconds=0.01),
                         follower.next_poll())

    def test_the_job_deadline_cuts_the_wait(self):
        follower, job = self.follower({}, wait=600, deadline=self.later(5))
        follower.add(0, 'a', self.now)
        self.assertEqual(self.later(5), follower.followed[0].deadline)

    def test_error_and_unreadable_servers_settle_failed(self):
        follower, job = self.follower({
            'a': base.Outcome('a', 200, state=base.ServerState('ERROR')),
            'b': base.Outcome('b', 404, 'gone')})
        now = timeutils.utcnow()
        follower.add(0, 'a', now, now=now)
        follower.add(1, 'b', now, now=now)
        follower.poll(now)
        self.assertEqual({'a': ('failed', 502), 'b': ('failed', 404)},
                         self.outcomes(job['id']))
        self.assertEqual({}, follower.followed)
        self.assertEqual([('a', 'failed'), ('b', 'failed')],
                         self.fake.audited)

    def test_backend_trouble_keeps_following_with_longer_intervals(self):
        follower, job = self.follower({
            'a': base.Outcome('a', 503, 'down'),
            'b': base.Outcome('b', 429, 'slow')})
        now = timeutils.utcnow()
        follower.add(0, 'a', now, now=now)
        follower.add(1, 'b', now, now=now)
        follower.poll(now)
        self.assertEqual({'a': ('accepted', 202), 'b': ('accepted', 202)},
                         self.outcomes(job['id']))
        self.assertEqual(0.02, follower.followed[0].interval)
        self.scripted.shows = exception.BackendUnavailable('Keystone down')
        follower.poll(follower.next_poll())
        self.assertEqual(2, len(follower.followed))

    def test_resumed_rows_are_read_at_once_and_time_out_when_due(self):
        stopping = base.ServerState('ACTIVE', 'powering-off')
        follower, job = self.follower({
            'a': base.Outcome('a', 200, state=stopping),
            'b': base.Outcome('b', 200, state=base.ServerState('SHUTOFF'))})
        long_ago = timeutils.utcnow() - datetime.timedelta(minutes=5)
        rows = [dict(r, accepted_at=long_ago)
                for r in db.servers_in(job['id'], ['accepted'])]
        now = timeutils.utcnow()
        follower.resume(rows, now)
        self.assertEqual(now, follower.next_poll())
        follower.poll(now)
        self.assertEqual({'a': ('failed', 504), 'b': ('succeeded', 200)},
                         self.outcomes(job['id']))
        self.assertIn('task_state powering-off',
                      self.rows(job['id'])['a']['msg'])

    def test_expire_times_out_everything_followed(self):
        follower, job = self.follower({})
        follower.add(0, 'a', self.now)
        follower.expire()
        self.assertEqual(('failed', 504), self.outcomes(job['id'])['a'])
        self.assertEqual(('accepted', 202), self.outcomes(job['id'])['b'])
        self.assertIsNone(follower.next_poll())
