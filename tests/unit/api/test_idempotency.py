"""Idempotency-Key on every POST: replay, conflict, in progress, release."""

import json

import fixtures
from oslo_db import exception as db_exc
import testtools
import webob

from tests.unit.api import test_jobs
from tests.unit import base
from vmact.api import idempotency
from vmact.api import waiting
from vmact.backends import base as backends_base
from vmact.db import api as db_api
from vmact import exception

DEMO1, DEMO2 = base.DEMO1, base.DEMO2
KEY = 'Idempotency-Key'


class KeyAndFingerprintTest(testtools.TestCase):

    def test_key_rules(self):
        for good in ('k', 'a' * 255, 'order 42/retry #1', '~!'):
            req = webob.Request.blank('/', headers={KEY: good})
            self.assertEqual(good, idempotency.key_of(req))
        self.assertIsNone(idempotency.key_of(webob.Request.blank('/')))
        for bad in ('', 'a' * 256, 'caf\xe9', 'a\tb', 'a\x7fb'):
            req = webob.Request.blank('/', headers={KEY: bad})
            e = self.assertRaises(exception.BadRequest, idempotency.key_of,
                                  req)
            self.assertIn('Idempotency-Key', e.msg)
            self.assertTrue(e.msg.isascii() and e.msg.isprintable())

    def test_fingerprint_ignores_layout_not_content(self):
        body = json.loads('{"servers": ["a", "b"], "os-stop": null}')
        same = json.loads('{ "os-stop" : null ,\n "servers":["a","b"]}')
        fp = idempotency.fingerprint
        self.assertEqual(fp('POST', '/p', 'scloudm', body),
                         fp('POST', '/p/', 'scloudm', same))
        for other in (fp('POST', '/p', 'pbs', body),
                      fp('POST', '/q', 'scloudm', body),
                      fp('POST', '/p', 'scloudm', {'servers': ['b', 'a'],
                                                   'os-stop': None})):
            self.assertNotEqual(fp('POST', '/p', 'scloudm', body), other)
        self.assertEqual(64, len(fp('POST', '/p', 'a', body)))


class IdempotencyTest(test_jobs.JobsTestCase):

    def post(self, key='k1', token=True, **body):
        full = {'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': DEMO1, 'os-stop': None}
        full.update(body)
        return self.request(body=full, headers={KEY: key}, token=token)

    def test_sync_retry_replays_and_acts_once(self):
        first = self.post(servers=[DEMO1, 'nope'])
        self.assertEqual(207, first.status_int)
        again = self.post(servers=[DEMO1, 'nope'])
        self.assertEqual((207, first.json), (again.status_int, again.json))
        self.assertEqual('true', again.headers['Idempotent-Replayed'])
        self.assertNotIn('Idempotent-Replayed', first.headers)
        self.assertEqual('application/json', again.content_type)
        self.assertEqual(1, len(self.sent()))

    def test_sync_200_replayed_with_empty_body(self):
        self.assertOK(self.post())
        again = self.post()
        self.assertEqual((200, b''), (again.status_int, again.body))
        self.assertEqual(1, len(self.sent()))

    def test_async_retry_gives_the_same_job(self):
        first = self.post(**{'async': True})
        again = self.post(**{'async': True})
        self.assertEqual(202, again.status_int)
        self.assertEqual(first.json, again.json)
        self.assertEqual(first.location, again.location)
        self.assertEqual('true', again.headers['Idempotent-Replayed'])
        self.assertEqual(1, len(db_api.list_jobs(None, None, 10)))
        self.assertEqual([first.json['job_id']], self.submitted)
        stored = db_api.get_idempotency('demo', 'k1')
        self.assertEqual((202, first.json['job_id']),
                         (stored['status'], stored['job_id']))

    def test_prefer_header_replayed(self):
        headers = {KEY: 'k1', 'Prefer': 'respond-async'}
        body = {'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': DEMO1, 'os-stop': None}
        self.request(body=body, headers=headers)
        again = self.request(body=body, headers=headers)
        self.assertEqual('respond-async',
                         again.headers['Preference-Applied'])

    def test_another_body_is_409_naming_the_key(self):
        self.post()
        response = self.post(servers=DEMO2)
        self.assertError(response, 409, 'Idempotency-Key "k1"')
        self.assertEqual(1, len(self.sent()))
        other_agent = self.request(body={
            'tenant_id': 'demo', 'region': 'cn-north-1',
            'servers': 'demo-cn-north-1-1', 'os-stop': None},
            headers={KEY: 'k1'}, agent='pbs')
        self.assertError(other_agent, 409, '"k1"')

    def test_key_in_progress_is_409_retry_after_1(self):
        self.load()
        fp = idempotency.fingerprint('POST', base.PATH, 'scloudm', {
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None})
        self.assertTrue(db_api.claim_idempotency('demo', 'k1', fp))
        response = self.post()
        self.assertRefused(response, 409, 'in progress')
        self.assertEqual('1', response.headers['Retry-After'])

    def test_keys_are_per_tenant(self):
        self.post()
        response = self.post(tenant_id='alt', servers=base.ALT1,
                             token=self.owner_token('alt'))
        self.assertOK(response)
        self.assertEqual(2, len(self.sent()))

    def test_5xx_is_not_stored_so_a_retry_acts(self):
        outcome = backends_base.Outcome(DEMO1, 503, 'Nova unreachable')
        real = self.useFixture(fixtures.MockPatch(
            'vmact.backends.simulator.SimulatorBackend.act',
            return_value=[outcome])).mock
        self.assertEqual(503, self.post().status_int)
        self.assertIsNone(db_api.get_idempotency('demo', 'k1'))
        self.assertEqual(503, self.post().status_int)
        self.assertEqual(2, real.call_count)

    def test_waiting_429_is_not_stored(self):
        def full(slots, wait):
            raise waiting.TooManyWaiting(1, 2, 5)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.waiting.WaitingSlots.slot', full))
        self.assertEqual(429, self.post(wait=5).status_int)
        self.assertIsNone(db_api.get_idempotency('demo', 'k1'))

    def test_error_before_acting_releases_the_key(self):
        response = self.post(region='Nowhere')
        self.assertError(response, 400, 'Unknown region')
        self.assertIsNone(db_api.get_idempotency('demo', 'k1'))
        self.assertOK(self.post())

    def test_invalid_or_refused_request_claims_nothing(self):
        self.assertRefused(self.post(servers='a.b'), 400)
        self.assertRefused(self.post(tenant_id='alt', servers=base.ALT1),
                           403)
        self.assertRefused(self.post(key=''), 400, 'Idempotency-Key')
        self.assertIsNone(db_api.get_idempotency('demo', 'k1'))

    def test_database_unreachable_is_503_and_nothing_acted(self):
        self.load()
        db_api.reset_for_tests('sqlite:////nonexistent-dir/vmact.sqlite')
        self.assertRefused(self.post(), 503, 'jobs database')

    def test_answer_given_when_it_cannot_be_stored(self):
        def down(*args, **kw):
            raise db_exc.DBConnectionError('gone')
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.db.api.store_idempotency', down))
        self.assertOK(self.post())
        self.assertIn('stays claimed', self.logger.output)
        # Never acts twice under the key: the claim stays in progress.
        self.assertEqual(409, self.post().status_int)
        self.assertEqual(1, len(self.sent()))

    def test_no_key_never_touches_the_database(self):
        self.load()
        db_api.reset_for_tests('sqlite:////nonexistent-dir/vmact.sqlite')
        self.assertOK(self.act_with('os-stop', DEMO1))
