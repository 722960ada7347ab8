"""Resending throttled libcloud calls, through the driver and its fake EC2.

A fake clock records the waits instead of sleeping them.
"""

import time

import fixtures
import requests

from tests.unit.backends import test_libcloud as t
from vmact.backends import libcloud_retry

START = t.START
SOFT = t.SOFT


class Clock(object):
    """``time`` for libcloud_retry: its sleeps are recorded, not slept.

    ``monotonic`` runs ahead of the real clock by the time slept.
    """

    def __init__(self):
        self.slept = []

    def monotonic(self):
        return time.monotonic() + sum(self.slept)

    def sleep(self, seconds):
        self.slept.append(seconds)


class ThrottlingTest(t.LibcloudTestCase):
    """Only a call refused by throttling is resent, a bounded number."""

    THROTTLED = (503, 'RequestLimitExceeded')

    def setUp(self):
        super().setUp()
        self.clock = Clock()
        self.useFixture(fixtures.MockPatchObject(libcloud_retry, 'time',
                                                 self.clock))
        self.ec2.add('i-1', 'stopped')

    def start(self):
        return self.codes(self.act(START, 'i-1'))

    def sent(self, action='StartInstances'):
        return self.ec2.calls.count(action)

    def test_throttled_once_then_accepted_is_202_after_two_calls(self):
        self.ec2.script['StartInstances'] = [self.THROTTLED]
        self.assertEqual([202], self.start())
        self.assertEqual(2, self.sent())
        self.assertEqual([0.5], self.clock.slept)

    def test_a_throttled_reboot_is_never_resent(self):
        self.ec2.add('i-2', 'running')
        self.ec2.script['RebootInstances'] = [self.THROTTLED]
        self.assertEqual([429], self.codes(self.act(SOFT, 'i-2')))
        self.assertEqual(1, self.sent('RebootInstances'))
        self.assertEqual([], self.clock.slept)

    def test_throttled_every_time_is_429_after_retries_plus_one(self):
        self.ec2.fail['StartInstances'] = self.THROTTLED
        self.assertEqual([429], self.start())
        self.assertEqual(3, self.sent())
        self.assertEqual([0.5, 1.0], self.clock.slept)
        self.set(throttle_retries=4, throttle_backoff=0.1)
        self.ec2.calls.clear()
        self.ec2.fail['StartInstances'] = (429, 'TooManyRequests')
        self.assertEqual([429], self.start())
        self.assertEqual(5, self.sent())
        self.set(throttle_retries=0)
        self.ec2.calls.clear()
        self.assertEqual([429], self.start())
        self.assertEqual(1, self.sent())

    def test_retry_after_is_waited(self):
        self.ec2.script['StartInstances'] = [
            (429, 'SlowDown', {'Retry-After': '3'}),
            (503, 'Unavailable', {'Retry-After': '1.5'}),
            (413, 'TooLarge', {'Retry-After': '0.25'})]
        self.set(throttle_retries=3)
        self.assertEqual([202], self.start())
        self.assertEqual(4, self.sent())
        self.assertEqual([3, 1.5, 0.25], self.clock.slept)

    def test_timeout_or_other_errors_are_never_resent(self):
        for fault, code in (
                (requests.ReadTimeout(), 504),
                (requests.ConnectionError(), 503),
                ((503, 'Unavailable'), 503),
                ((500, 'InternalError'), 502),
                ((400, 'IncorrectInstanceState'), 409)):
            self.ec2.calls.clear()
            self.ec2.script['StartInstances'] = [self.THROTTLED, fault]
            self.assertEqual([code], self.start(), fault)
            self.assertEqual(2, self.sent(), fault)
            self.ec2.script['StartInstances'] = [fault]
            self.ec2.calls.clear()
            self.start()
            self.assertEqual(1, self.sent(), fault)

    def test_deadline_stops_resending(self):
        self.set(request_deadline=2, throttle_backoff=0.4,
                 throttle_retries=5)
        self.ec2.fail['StartInstances'] = self.THROTTLED
        self.assertEqual([429], self.start())
        self.assertEqual(3, self.sent())
        self.assertEqual([0.4, 0.8], self.clock.slept)
        del self.ec2.fail['StartInstances']
        self.ec2.calls.clear()
        self.ec2.script['StartInstances'] = [
            (429, 'SlowDown', {'Retry-After': '0.5'}),
            (429, 'SlowDown', {'Retry-After': '30'})]
        self.assertEqual([429], self.start())
        self.assertEqual(2, self.sent())

    def test_reads_are_resent_alike(self):
        self.ec2.script['DescribeInstances'] = [self.THROTTLED]
        self.assertEqual([202], self.start())
        self.assertEqual(2, self.sent('DescribeInstances'))
        self.ec2.calls.clear()
        self.ec2.fail['DescribeInstances'] = self.THROTTLED
        shown = self.backend().show(None, self.target('i-1'))
        self.assertEqual([429], self.codes(shown))
        self.assertEqual(3, self.sent('DescribeInstances'))
        self.assertEqual(0, self.sent())
