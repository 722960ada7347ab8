"""Jobs and identity: Idempotency-Key, and trusts outliving a token.

Against the real Keystone and Novas, PostgreSQL, RabbitMQ and
``vmact-engine`` processes, on tenant-a's servers in RegionOne (ACTIVE
again after each test); Nova's instance actions (read as the admin) say
what was done and as whom.
"""

import time
import uuid

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.hardening import figures

#: Seconds Keystone's new tokens live in the trust test.
TOKEN_LIFETIME = 8
#: [jobs] rate of that test: one call every 5 s, so the job of four
#: servers sends its last call about 15 s in, past the token's expiry.
SLOW_RATE = {'rate': 0.2, 'burst': 1, 'chunk_size': 1}


class JobsIdentityTestBase(base.JobsTestCase):

    TIMEOUT = 420

    def servers(self, count):
        """tenant-a's first servers in RegionOne, ACTIVE now and after."""
        servers = self.active_servers(count=count)
        self.addCleanup(self.cloud.ensure_status, cloud.REGION_ONE, servers,
                        'ACTIVE')
        return servers

    def action_count(self, server_ids, name, region=cloud.REGION_ONE):
        return super().action_count(server_ids, name, region)


class IdempotencyKeyTest(JobsIdentityTestBase):
    """The same key replays the first answer; Nova acts once."""

    def test_async_replay_is_the_same_job_and_another_body_409(self):
        servers = self.servers(2)
        self.start_engines(1)
        before = self.action_count(servers, 'stop')
        key = {'Idempotency-Key': 'job-%s' % uuid.uuid4()}
        body = dict(self.body('os-stop', servers), **{'async': True})
        first = self.act(body, headers=key)
        self.assertEqual(202, first.status_code, first.text)
        again = self.act(body, headers=key)
        self.assertEqual(202, again.status_code, again.text)
        self.assertEqual('true', again.headers.get('Idempotent-Replayed'))
        self.assertEqual(first.json(), again.json())
        self.assertEqual(first.headers['Location'], again.headers['Location'])
        other = self.act(dict(body, servers=servers[:1]), headers=key)
        self.assertError(409, other, key['Idempotency-Key'])
        job = self.wait_job(first.json()['job_id'])
        self.assertEqual('SUCCESS', job['status'], job)
        self.assertEqual(1, len(self.sql(
            'SELECT id FROM jobs WHERE id = %s', (job['job_id'],))))
        for server in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server, 'SHUTOFF')
        self.assertEqual(dict.fromkeys(servers, 1), {
            server: count - before[server] for server, count in
            self.action_count(servers, 'stop').items()})

    def test_sync_replay_gives_the_same_answer_and_nova_acts_once(self):
        servers = self.servers(2)
        before = self.action_count(servers, 'stop')
        key = {'Idempotency-Key': 'sync-%s' % uuid.uuid4()}
        body = self.body('os-stop', servers)
        self.assertAccepted(self.act(body, headers=key))
        again = self.act(body, headers=key)
        self.assertAccepted(again)
        self.assertEqual('true', again.headers.get('Idempotent-Replayed'))
        self.assertError(409, self.act(self.body('reboot', servers),
                                       headers=key))
        for server in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server, 'SHUTOFF')
        self.assertEqual(dict.fromkeys(servers, 1), {
            server: count - before[server] for server, count in
            self.action_count(servers, 'stop').items()})


class TrustTest(JobsIdentityTestBase):
    """A token-mode job outlives its caller's token, as the caller."""

    def test_job_outliving_the_token_acts_as_the_caller_via_a_trust(self):
        servers = self.servers(4)
        before = {server: len(self.instance_actions(server))
                  for server in servers}
        group = self.start_engines(1, **SLOW_RATE)
        self.addCleanup(self.cloud.set_token_expiration, None)
        self.cloud.set_token_expiration(TOKEN_LIFETIME)
        token = self.cloud.token(cloud.ALICE, fresh=True)
        job_id = self.post_job(self.body('os-stop', servers), token=token)
        started = time.monotonic()
        self.cloud.wait_until_expired(token, timeout=TOKEN_LIFETIME + 10)
        expired = time.monotonic() - started
        self.assertFalse(self.cloud.token_is_valid(token))
        job = self.get_job(job_id)
        self.assertEqual('RUNNING', job['status'], job)
        self.assertIn('pending', set(self.server_states(job).values()))
        trust_id = self.sql('SELECT trust_id FROM jobs WHERE id = %s',
                            (job_id,))[0][0]
        self.assertIsNotNone(trust_id)
        job = self.wait_job(job_id, timeout=60)
        self.assertEqual('SUCCESS', job['status'], job)
        alice = self.cloud.user_ids[cloud.ALICE.name]
        for server in servers:
            new = self.instance_actions(server)[before[server]:]
            self.assertEqual([('stop', alice)], [
                (action['action'], action['user_id']) for action in new])
        trust = self.cloud.identity(cloud.ADMIN).get(
            '/OS-TRUST/trusts/%s' % trust_id, raise_exc=False)
        self.assertEqual(404, trust.status_code, trust.text)
        self.assertNotIn(token, self.stored_text(job_id))
        self.assertNotIn(token, group[0].log())
        figures.record('job_outlived_token', token_expired_after=round(
            expired, 1), token_lifetime=TOKEN_LIFETIME)

    def stored_text(self, job_id):
        """Every column of the job's rows in PostgreSQL, as text."""
        rows = self.sql(
            'SELECT row_to_json(j)::text FROM jobs j WHERE id = %s '
            'UNION ALL SELECT row_to_json(s)::text FROM job_servers s '
            'WHERE job_id = %s UNION ALL SELECT row_to_json(k)::text '
            'FROM idempotency_keys k WHERE job_id = %s',
            (job_id, job_id, job_id))
        self.assertGreater(len(rows), 4)
        return '\n'.join(row[0] for row in rows)
