"""The token bucket per (agent, region), with an injected clock."""

import threading
import time

from oslo_config import cfg
from oslotest import base as oslotest_base

from vmact.conf import jobs as jobs_conf
from vmact.jobs import rate


class FakeClock(object):
    """A clock that moves only when the bucket waits."""

    def __init__(self):
        self.now = 100.0
        self.waits = []

    def __call__(self):
        return self.now

    def wait(self, stop_event, seconds):
        if stop_event is not None and stop_event.is_set():
            return True
        self.waits.append(seconds)
        self.now += seconds
        return False


class TokenBucketTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()

    def bucket(self, rate_, burst):
        return rate.TokenBucket(rate_, burst, clock=self.clock,
                                wait=self.clock.wait)

    def test_a_full_bucket_gives_its_burst_at_once(self):
        bucket = self.bucket(50, 100)
        self.assertTrue(bucket.acquire(100))
        self.assertEqual([], self.clock.waits)

    def test_beyond_the_burst_calls_go_out_at_the_rate(self):
        bucket = self.bucket(50, 100)
        bucket.acquire(100)
        self.assertTrue(bucket.acquire(50))
        self.assertAlmostEqual(1.0, sum(self.clock.waits))
        self.assertTrue(bucket.acquire(250))
        self.assertAlmostEqual(6.0, sum(self.clock.waits))

    def test_a_chunk_larger_than_the_burst_is_paced(self):
        bucket = self.bucket(10, 5)
        self.assertTrue(bucket.acquire(25))
        self.assertAlmostEqual(2.0, sum(self.clock.waits))
        self.assertTrue(all(w <= 0.5 + 1e-9 for w in self.clock.waits))

    def test_an_idle_bucket_saves_at_most_its_burst(self):
        bucket = self.bucket(50, 100)
        bucket.acquire(100)
        self.clock.now += 1000
        bucket.acquire(150)
        self.assertAlmostEqual(1.0, sum(self.clock.waits))

    def test_rate_zero_is_no_limit(self):
        bucket = self.bucket(0, 1)
        self.assertTrue(bucket.acquire(10 ** 6))
        self.assertEqual([], self.clock.waits)

    def test_a_stop_event_ends_the_wait(self):
        bucket = self.bucket(1, 1)
        bucket.acquire(1)
        stop = threading.Event()
        stop.set()
        self.assertFalse(bucket.acquire(5, stop))

    def test_threads_share_one_bucket(self):
        bucket = rate.TokenBucket(200, 10)
        started = time.monotonic()
        threads = [threading.Thread(target=bucket.acquire, args=(25,))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
            self.assertFalse(thread.is_alive())
        # 100 tokens, 10 saved: the other 90 come at 200 a second.
        self.assertGreaterEqual(time.monotonic() - started, 0.45)


class LimiterForTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        rate.reset()
        self.addCleanup(rate.reset)
        self.conf = cfg.ConfigOpts()
        jobs_conf.register_opts(self.conf)
        self.conf([], default_config_files=[])

    def test_one_bucket_per_agent_and_region_from_the_options(self):
        self.conf.set_override('rate', 7, group='jobs')
        self.conf.set_override('burst', 3, group='jobs')
        one = rate.limiter_for(self.conf, 'scloudm', 'RegionOne')
        self.assertIs(one, rate.limiter_for(self.conf, 'scloudm',
                                            'RegionOne'))
        self.assertIsNot(one, rate.limiter_for(self.conf, 'scloudm',
                                               'RegionTwo'))
        self.assertIsNot(one, rate.limiter_for(self.conf, 'pbs',
                                               'RegionOne'))
        self.assertEqual((7.0, 3), (one.rate, one.burst))
