"""Rate control of synchronous actions; SOFT_FIRST through the pipeline."""

import threading
import time

import fixtures

from tests.unit import base
from vmact.api import rate_sync
from vmact.api import waiting
from vmact.backends import base as backends_base
from vmact.jobs import rate

DEMO1 = base.DEMO1
DEMO2 = base.DEMO2
DEMO3 = base.DEMO3


class FakeClock(object):
    def __init__(self):
        self.now = 100.0
        self.waits = []

    def __call__(self):
        return self.now

    def wait(self, stop_event, seconds):
        self.waits.append(seconds)
        self.now += seconds
        return False


class TakeBeforeTest(base.TestCase):

    def bucket(self, rate_, burst):
        self.clock = FakeClock()
        return rate.TokenBucket(rate_, burst, clock=self.clock,
                                wait=self.clock.wait)

    def test_takes_the_burst_then_what_comes_before_the_deadline(self):
        bucket = self.bucket(1, 2)
        self.assertEqual(4, bucket.take_before(5, deadline=102.5))
        self.assertLessEqual(self.clock.now, 102.5)
        self.assertEqual(0, bucket.take_before(1, deadline=self.clock.now))

    def test_no_wait_past_the_deadline(self):
        bucket = self.bucket(0.1, 1)
        self.assertEqual(1, bucket.take_before(3, deadline=105))
        self.assertEqual(105, self.clock.now)

    def test_no_limit(self):
        self.assertEqual(7, self.bucket(0, 1).take_before(7, 0))

    def test_retry_after_counts_the_missing_tokens(self):
        bucket = self.bucket(2, 1)
        bucket.take_before(1, 100)
        self.assertEqual(3, bucket.retry_after(6))
        self.assertEqual(1, bucket.retry_after(1))

    def test_shared_by_threads_never_over_the_burst(self):
        bucket = rate.TokenBucket(0.001, 10)
        granted = []
        threads = [threading.Thread(target=lambda: granted.append(
            bucket.take_before(1, time.monotonic()))) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        self.assertEqual(10, sum(granted))


class FakeBackend(object):
    agent = 'a1'
    resends_refusals = False

    class opts(object):
        request_deadline = 0.5

    def __init__(self):
        self.sent = []

    def act(self, context, target, action):
        self.sent.append(target.servers)
        return [backends_base.Outcome(s, 202) for s in target.servers]


class SenderTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.bucket = rate.TokenBucket(0.5, 2, clock=self.clock,
                                       wait=self.clock.wait)
        self.backend = FakeBackend()
        self.target = backends_base.Target('t', 'R', ('a', 'b', 'c'))

    def sender(self):
        return rate_sync.Sender(self.conf, self.backend, None, 'R',
                                bucket=self.bucket, clock=self.clock)

    def test_servers_without_a_token_are_429_and_not_sent(self):
        outcomes = self.sender()(self.target, backends_base.Action('os-stop'))
        self.assertEqual([('a', 'b')], self.backend.sent)
        self.assertEqual([202, 202, 429], [o.code for o in outcomes])
        self.assertEqual(2, outcomes[2].retry_after)
        self.assertIn('retry in 2 s', outcomes[2].msg)

    def test_nothing_sent_is_a_429_of_the_whole_request(self):
        self.sender()(self.target, backends_base.Action('os-stop'))
        e = self.assertRaises(rate_sync.RateLimited, self.sender(),
                              self.target, backends_base.Action('os-stop'))
        self.assertEqual(429, e.code)
        self.assertGreaterEqual(e.retry_after, 1)
        self.assertEqual([('a', 'b')], self.backend.sent)

    def test_one_bucket_per_agent_and_region_per_process(self):
        rate.reset()
        self.addCleanup(rate.reset)
        self.assertIs(rate.limiter_for(self.conf, 'a1', 'R'),
                      rate_sync.Sender(self.conf, self.backend, None,
                                       'R').bucket)
        self.assertIsNot(rate.limiter_for(self.conf, 'a1', 'R'),
                         rate.limiter_for(self.conf, 'a1', 'R2'))


class RefusingBackend(FakeBackend):
    """Answers each server from its script of codes, one per call."""

    def __init__(self, script):
        super().__init__()
        self.script = {server: list(codes) for server, codes in script.items()}

    def act(self, context, target, action):
        self.sent.append(target.servers)
        outcomes = []
        for server in target.servers:
            code, retry_after = self.script[server].pop(0)
            outcomes.append(backends_base.Outcome(
                server, code, retry_after=retry_after))
        return outcomes


class ResendTest(base.TestCase):
    """Refusals that did not act are sent again, within the deadline."""

    def setUp(self):
        super().setUp()
        self.sleeps = []
        self.now = [0.0]

    def send(self, script, action=backends_base.Action('os-stop')):
        backend = RefusingBackend(script)
        sender = rate_sync.Sender(
            self.conf, backend, None, 'R', bucket=rate.TokenBucket(0, 10),
            clock=lambda: self.now[0], sleep=self.sleep)
        target = backends_base.Target('t', 'R', tuple(script))
        return backend, [o.code for o in sender(target, action)]

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now[0] += seconds

    def test_throttled_server_is_sent_again_after_retry_after(self):
        backend, codes = self.send({'a': [(202, None)],
                                    'b': [(429, 0.25), (202, None)]})
        self.assertEqual([202, 202], codes)
        self.assertEqual([('a', 'b'), ('b',)], backend.sent)
        self.assertEqual([0.25], self.sleeps)

    def test_503_without_retry_after_and_409_are_never_resent(self):
        backend, codes = self.send({'a': [(503, None)], 'b': [(409, None)]})
        self.assertEqual([503, 409], codes)
        self.assertEqual([('a', 'b')], backend.sent)

    def test_resends_are_bounded(self):
        self.flags(group='jobs', max_resends=2)
        backend, codes = self.send({'a': [(429, 0.1)] * 3})
        self.assertEqual([429], codes)
        self.assertEqual(3, len(backend.sent))

    def test_a_driver_that_resends_itself_is_not_doubled(self):
        backend = RefusingBackend({'a': [(429, 0.1), (202, None)]})
        backend.resends_refusals = True
        sender = rate_sync.Sender(
            self.conf, backend, None, 'R', bucket=rate.TokenBucket(0, 10),
            clock=lambda: self.now[0], sleep=self.sleep)
        outcomes = sender(backends_base.Target('t', 'R', ('a',)),
                          backends_base.Action('os-stop'))
        self.assertEqual([429], [o.code for o in outcomes])
        self.assertEqual([('a',)], backend.sent)

    def test_no_resend_that_would_end_past_the_deadline(self):
        backend, codes = self.send({'a': [(503, 30), (202, None)]})
        self.assertEqual([503], codes)
        self.assertEqual([('a',)], backend.sent)
        self.assertEqual([], self.sleeps)


class PipelineTest(base.PipelineHelpers, base.PipelineTestCase):
    """Through the paste pipeline and the simulator."""

    def setUp(self):
        super().setUp()
        rate.reset()
        self.addCleanup(rate.reset)

    def test_rate_limit_of_a_synchronous_request(self):
        self.flags(group='jobs', rate=0.001, burst=2)
        self.agent('scloudm', request_deadline=0.1)
        response = self.act('os-stop', ','.join([DEMO1, DEMO2, DEMO3]))
        self.assertEqual(207, response.status_int, response.text)
        failure, = response.json['failures']
        self.assertEqual((DEMO3, 429), (failure['server'], failure['code']))
        response = self.act('os-stop', DEMO3)
        self.assertEqual(429, response.status_int, response.text)
        self.assertIn('Nothing was done', response.json['msg'])
        self.assertGreaterEqual(int(response.headers['Retry-After']), 1)
        self.assertEqual({DEMO1: 'SHUTOFF', DEMO2: 'SHUTOFF',
                          DEMO3: 'ACTIVE'},
                         self.states([DEMO1, DEMO2, DEMO3]))

    def test_soft_first_names_the_escalated_servers(self):
        response = self.act('reboot', '%s,off1' % DEMO1,
                            value={'type': 'soft_first', 'grace': 1})
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual({'escalated': ['off1']}, response.json)
        self.assertEqual('ACTIVE', self.states(['off1'])['off1'])

    def test_soft_first_failures_carry_escalated(self):
        response = self.act('reboot', 'off1,nosuch',
                            value={'type': 'SOFT_FIRST', 'grace': 1})
        self.assertEqual(207, response.status_int, response.text)
        self.assertEqual(['off1'], response.json['escalated'])
        self.assertEqual(['nosuch'], [f['server'] for f in
                                      response.json['failures']])

    def test_soft_first_holds_a_waiting_slot_for_grace_and_wait(self):
        held = []
        original = waiting.WaitingSlots.slot

        def slot(slots, seconds):
            held.append(seconds)
            return original(slots, seconds)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.waiting.WaitingSlots.slot', slot))
        response = self.act_with('reboot', 'off1', wait=2,
                                 value={'type': 'SOFT_FIRST', 'grace': 1})
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual([3.0], held)

    def test_soft_first_rules(self):
        for value, fragment in (({'type': 'HARD', 'grace': 5},
                                 '"reboot.grace"'),
                                ({'type': 'SOFT_FIRST', 'grace': 601},
                                 'max_grace'),
                                ({'type': 'SOFT_FIRST', 'grace': 0},
                                 '"reboot.grace"')):
            response = self.act('reboot', DEMO1, value=value)
            self.assertError(response, 400, fragment)

    def test_waves_of_a_synchronous_request_is_a_400_naming_waves(self):
        response = self.act_with('os-stop', DEMO1, waves={'size': 1})
        self.assertError(response, 400, '"waves"')
        self.assertEqual('ACTIVE', self.states([DEMO1])[DEMO1])
