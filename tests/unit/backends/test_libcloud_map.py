"""libcloud's node states and errors in vmact's vocabulary."""

import email.utils
import time

from libcloud.common import exceptions as lc_exc
from libcloud.common import types as lc_types
from libcloud.compute import base as lc_base
from libcloud.compute.types import NodeState
from oslotest import base as oslotest_base
import requests

from vmact.backends import libcloud_map

AGENT = 'ec2'
KEY = 'AKIAUNITTESTKEY0001'


class MappingTest(oslotest_base.BaseTestCase):
    """libcloud states and errors, rule by rule."""

    def test_every_node_state_is_mapped(self):
        states = [value for name, value in vars(NodeState).items()
                  if name.isupper()]
        self.assertGreater(len(states), 10)
        for state in states:
            self.assertIn(state, libcloud_map.STATES, state)
            node = lc_base.Node('i', 'n', state, [], [], None)
            self.assertIsNotNone(libcloud_map.state_of(node).status)

    def test_transitions(self):
        def shown(state, raw=None):
            node = lc_base.Node('i', 'n', state, [], [], None,
                                extra={'status': raw} if raw else {})
            return libcloud_map.state_of(node).as_dict()
        self.assertEqual({'status': 'SHUTOFF', 'task_state': 'powering-on',
                          'power_state': 'shutdown'},
                         shown(NodeState.STARTING))
        self.assertEqual('REBOOT', shown(NodeState.REBOOTING)['status'])
        self.assertEqual('ERROR', shown(NodeState.ERROR)['status'])
        self.assertEqual('BUILD', shown(NodeState.PENDING)['status'])
        self.assertEqual('deleting', shown(NodeState.UNKNOWN,
                                           'shutting-down')['task_state'])

    def test_throttled_for(self):
        def error(status, message='X: y', retry_after=None):
            headers = {} if retry_after is None else {
                'retry-after': retry_after}
            return lc_exc.exception_from_message(status, message, headers)
        throttled_for = libcloud_map.throttled_for
        self.assertEqual(0, throttled_for(error(429)))
        self.assertEqual(7, throttled_for(error(429, retry_after='7')))
        self.assertEqual(0, throttled_for(
            error(503, 'RequestLimitExceeded: slow down')))
        self.assertEqual(2, throttled_for(error(503, retry_after='2')))
        self.assertEqual(2, throttled_for(error(413, retry_after='2')))
        self.assertLess(abs(throttled_for(error(503, retry_after=(
            email.utils.formatdate(time.time() + 60, usegmt=True)))) - 60), 2)
        for not_throttled in (error(503), error(413), error(500),
                              error(503, retry_after='oops'),
                              requests.ReadTimeout(), ConnectionError(),
                              lc_types.InvalidCredsError('429')):
            self.assertIsNone(throttled_for(not_throttled), not_throttled)
        self.assertEqual(429, libcloud_map.outcome_of_error(
            'i-1', error(503, retry_after='2'), AGENT).code)

    def test_errors(self):
        def code(error):
            return libcloud_map.outcome_of_error('i-1', error, AGENT).code
        self.assertEqual(502, code(lc_types.InvalidCredsError(KEY)))
        self.assertEqual(429, code(lc_exc.RateLimitReachedError()))
        self.assertEqual(400, code(lc_exc.BaseHTTPError(
            400, 'InvalidParameterValue: bad')))
        self.assertEqual(502, code(ValueError('unexpected')))
        self.assertNotIn(KEY, libcloud_map.outcome_of_error(
            'i-1', lc_types.InvalidCredsError(KEY), AGENT).msg)
