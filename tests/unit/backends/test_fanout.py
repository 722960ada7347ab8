"""The fan-out on its own: plain callables, no backend, no HTTP."""

import threading
import time

from oslo_context import context as oslo_context
from oslotest import base as oslotest_base

from vmact.backends import fanout

#: Bound on every wait in these tests.
SECONDS = 10


def not_sent(item):
    return ('not sent', item)


class Recorder(object):
    """A work callable that records calls and the calls in flight."""

    def __init__(self, delay=0.0, delays=None):
        self.delay = delay
        self.delays = delays or {}
        self.lock = threading.Lock()
        self.called = []
        self.threads = {}
        self.contexts = {}
        self.now = 0
        self.peak = 0

    def __call__(self, item):
        with self.lock:
            self.called.append(item)
            self.threads[item] = threading.current_thread()
            self.contexts[item] = oslo_context.get_current()
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.delays.get(item, self.delay))
            return ('done', item)
        finally:
            with self.lock:
                self.now -= 1


class FanOutTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.fanout = fanout.FanOut(8, 'test-fanout')
        self.addCleanup(self.fanout.pool.shutdown, wait=True)

    def run_items(self, work, items, seconds=SECONDS, window=8, **kw):
        return self.fanout.run(work, items, time.monotonic() + seconds,
                               window, not_sent, **kw)

    def test_results_keep_the_items_order(self):
        items = ['a', 'b', 'c', 'd']
        work = Recorder(delays={'a': 0.2, 'b': 0.1, 'c': 0.0, 'd': 0.05})
        self.assertEqual([('done', i) for i in items],
                         self.run_items(work, items))

    def test_items_run_concurrently_up_to_the_window(self):
        work = Recorder(delay=0.1)
        started = time.monotonic()
        results = self.run_items(work, range(12), window=3)
        elapsed = time.monotonic() - started
        self.assertEqual([('done', i) for i in range(12)], results)
        self.assertEqual(3, work.peak)
        # 12 items of 0.1 s, three at a time: 0.4 s, not the 1.2 s of a
        # loop (generous margin for a loaded machine).
        self.assertLess(elapsed, 1.0)

    def test_the_process_bound_is_shared_by_concurrent_runs(self):
        self.fanout = fanout.FanOut(4, 'test-fanout-small')
        self.addCleanup(self.fanout.pool.shutdown, wait=True)
        work = Recorder(delay=0.05)
        results = []
        runs = [threading.Thread(target=lambda n=n: results.append(
            self.run_items(work, ['r%d-%d' % (n, i) for i in range(6)],
                           window=3))) for n in range(3)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(SECONDS)
        self.assertEqual(4, work.peak)
        self.assertEqual(18, len(work.called))
        self.assertEqual(3, len(results))

    def test_items_not_started_by_the_deadline_are_never_started(self):
        work = Recorder(delay=0.15)
        started = time.monotonic()
        results = self.run_items(work, range(6), seconds=0.35, window=1)
        elapsed = time.monotonic() - started
        done = [r[1] for r in results if r[0] == 'done']
        unsent = [r[1] for r in results if r[0] == 'not sent']
        self.assertTrue(done)
        self.assertTrue(unsent)
        self.assertEqual(sorted(work.called), done)
        self.assertEqual(list(range(6)), done + unsent)
        self.assertLess(elapsed, 0.35 + 0.15 + 0.3)

    def test_a_call_started_before_the_deadline_is_awaited(self):
        """Its answer is the item's result, never dropped as not sent."""
        work = Recorder(delays={'slow': 0.3})
        results = self.run_items(work, ['slow', 'quick'], seconds=0.1)
        self.assertEqual([('done', 'slow'), ('done', 'quick')], results)

    def test_items_waiting_for_a_slot_past_the_deadline_are_not_sent(self):
        """Slots held by other requests: queued items give up in time."""
        for _ in range(self.fanout.max_concurrency):
            self.fanout.slots.acquire()
        self.addCleanup(lambda: [self.fanout.slots.release()
                                 for _ in range(self.fanout.max_concurrency)])
        work = Recorder()
        for items in (['one'], ['a', 'b', 'c']):
            started = time.monotonic()
            results = self.run_items(work, items, seconds=0.2)
            self.assertEqual([not_sent(i) for i in items], results)
            self.assertLess(time.monotonic() - started, 0.2 + 0.5)
        self.assertEqual([], work.called)

    def test_cancel_stops_what_has_not_started(self):
        cancel = threading.Event()

        def work(item):
            if item == 1:
                cancel.set()
            return ('done', item)

        results = self.run_items(work, range(5), window=1, cancel=cancel)
        self.assertEqual([('done', 0), ('done', 1), not_sent(2),
                          not_sent(3), not_sent(4)], results)

    def test_workers_carry_the_callers_context(self):
        ctx = oslo_context.RequestContext(request_id='req-fanout-test')
        work = Recorder()
        self.run_items(work, ['a', 'b'], context=ctx)
        self.assertEqual({'a': ctx, 'b': ctx}, work.contexts)
        for thread in work.threads.values():
            self.assertIsNot(threading.current_thread(), thread)

    def test_one_item_runs_inline_under_the_process_bound(self):
        work = Recorder()
        self.assertEqual([('done', 'x')], self.run_items(work, ['x']))
        self.assertIs(threading.current_thread(), work.threads['x'])
        self.assertEqual(self.fanout.max_concurrency,
                         self.fanout.slots._value)

    def test_an_error_in_work_is_raised_and_stops_the_rest(self):
        called = []

        def work(item):
            called.append(item)
            if item == 'bad':
                raise RuntimeError('work failed')
            return item

        self.assertRaises(RuntimeError, self.run_items, work,
                          ['bad', 'b', 'c'], window=1)
        self.assertEqual(['bad'], called)
        self.assertEqual(self.fanout.max_concurrency,
                         self.fanout.slots._value)
