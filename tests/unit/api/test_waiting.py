"""The bound on waiting requests (vmact.api.waiting), alone and in the app."""

import sys
import threading
import types
from unittest import mock

import fixtures

from tests.unit import base
from vmact.api import waiting
from vmact.backends import simulator

SECONDS = 10


class FakeClock(object):

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class WaitingSlotsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.slots = waiting.WaitingSlots(2, 4, clock=self.clock)

    def test_slots_up_to_the_limit_then_429_with_the_first_end(self):
        with self.slots.slot(30):
            self.clock.now += 5
            with self.slots.slot(10):
                self.assertEqual(2, self.slots.in_use)
                self.clock.now += 2.5
                error = self.assertRaises(waiting.TooManyWaiting,
                                          self.slots.slot(60).__enter__)
        self.assertEqual(0, self.slots.in_use)
        self.assertEqual(429, error.code)
        # The second slot ends at 115, 7.5 s after the refusal: 8 s.
        self.assertEqual(8, error.retry_after)
        self.assertIn('lets 2 of its 4 threads wait', error.msg)
        self.assertIn('retry in 8 s', error.msg)

    def test_a_released_slot_is_free_again(self):
        for _ in range(3):
            with self.slots.slot(1), self.slots.slot(1):
                pass
        self.assertEqual(0, self.slots.in_use)
        with self.slots.slot(1), self.slots.slot(1):
            self.assertEqual(2, self.slots.in_use)

    def test_slot_is_released_when_the_request_raises(self):
        def failing():
            with self.slots.slot(5):
                raise RuntimeError('backend blew up')
        for _ in range(3):
            self.assertRaises(RuntimeError, failing)
        self.assertEqual(0, self.slots.in_use)

    def test_wait_zero_is_never_limited(self):
        with self.slots.slot(1), self.slots.slot(1):
            for _ in range(5):
                with self.slots.slot(0):
                    self.assertEqual(2, self.slots.in_use)

    def test_retry_after_is_at_least_one_second(self):
        with self.slots.slot(1), self.slots.slot(1):
            self.clock.now += 30
            error = self.assertRaises(waiting.TooManyWaiting,
                                      self.slots.slot(1).__enter__)
        self.assertEqual(1, error.retry_after)


class LimitFromConfTest(base.TestCase):

    def limit(self, **flags):
        self.flags(group='api', **flags)
        slots = waiting.from_conf(self.conf)
        return slots.limit, slots.threads

    def test_share_of_server_threads(self):
        self.assertEqual((8, 16), self.limit())
        self.assertEqual((3, 10), self.limit(server_threads=10,
                                             max_waiting_share=0.3))

    def test_at_least_one_request(self):
        self.assertEqual((1, 1), self.limit(server_threads=1))
        self.assertEqual((1, 16), self.limit(server_threads=16,
                                             max_waiting_share=0))

    def test_mod_wsgi_threads_per_process_under_apache(self):
        self.fake_module(types.SimpleNamespace(threads_per_process=6))
        self.assertEqual((3, 6), self.limit(server_threads=40))

    def test_the_mod_wsgi_package_outside_apache_is_ignored(self):
        # pip's mod_wsgi (mod_wsgi-express) has no threads_per_process.
        self.fake_module(types.ModuleType('mod_wsgi'))
        self.assertEqual((20, 40), self.limit(server_threads=40))

    def fake_module(self, module):
        patcher = mock.patch.dict(sys.modules, mod_wsgi=module)
        patcher.start()
        self.addCleanup(patcher.stop)


class WaitingThroughThePipelineTest(base.PipelineTestCase):
    """One slot (2 threads x 0.5): a second waiting request is a 429."""

    transition_delay = 0.05

    def setUp(self):
        super().setUp()
        self.flags(group='api', server_threads=2, max_waiting_share=0.5)
        self.calls = self.spy_backends()
        self.held = threading.Event()
        self.release = threading.Event()
        self.addCleanup(self.release.set)
        original = simulator.SimulatorBackend.send

        self.fail_sends = False

        def send(backend, context, target, action, *args, **kw):
            if self.fail_sends:
                raise RuntimeError('the backend blew up')
            if 'demo-RegionOne-1' in target.servers:
                self.held.set()
                self.release.wait(SECONDS)
            return original(backend, context, target, action, *args, **kw)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.SimulatorBackend.send', send))

    def reboot(self, server, wait):
        return self.act('reboot', servers=server, value={'type': 'HARD'},
                        wait=wait)

    def act(self, action, servers, value=None, wait=0):
        return self.request(body={'tenant_id': base.TENANT,
                                  'region': 'RegionOne', 'servers': servers,
                                  action: value, 'wait': wait})

    def hold_the_slot(self):
        """A waiting request that holds the one slot until released."""
        result = {}
        holder = threading.Thread(target=lambda: result.setdefault(
            'response', self.reboot('demo-RegionOne-1', 5)))
        holder.start()
        self.addCleanup(holder.join, SECONDS)
        self.assertTrue(self.held.wait(SECONDS))
        return holder, result

    def sent_servers(self):
        return [args[1].servers for agent, name, args, kw in self.calls
                if name == 'send']

    def test_second_waiting_request_is_429_with_retry_after(self):
        self.load()
        holder, result = self.hold_the_slot()
        refused = self.reboot('demo-RegionOne-2', 3)
        body = self.assertError(refused, 429, 'Too many requests are '
                                'waiting', 'lets 1 of its 2 threads wait',
                                'without "wait"')
        self.assertEqual({'msg', 'code', 'reason'}, set(body))
        self.assertEqual('Too Many Requests', body['reason'])
        retry_after = int(refused.headers['Retry-After'])
        self.assertTrue(1 <= retry_after <= 5, retry_after)
        self.assertNotIn(('demo-RegionOne-2',), self.sent_servers())
        self.release.set()
        holder.join(SECONDS)
        self.assertEqual(200, result['response'].status_int,
                         result['response'].text)
        self.assertEqual(200, self.reboot('demo-RegionOne-2', 3).status_int)

    def test_request_without_wait_is_served_while_the_slot_is_taken(self):
        self.load()
        holder, result = self.hold_the_slot()
        self.assertEqual(200, self.reboot('demo-RegionOne-2', 0).status_int)
        self.assertEqual(200, self.act('os-stop', 'demo-RegionOne-3')
                         .status_int)
        self.assertIn(('demo-RegionOne-2',), self.sent_servers())
        self.release.set()

    def test_slot_is_released_when_the_backend_raises(self):
        self.fail_sends = True
        for _ in range(3):
            self.assertError(self.reboot('demo-RegionOne-2', 3), 500)
        self.fail_sends = False
        self.assertEqual(200, self.reboot('demo-RegionOne-2', 3).status_int)
