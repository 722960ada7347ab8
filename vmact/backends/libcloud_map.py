"""libcloud's node states and errors in vmact's vocabulary.

States: libcloud's ``NodeState`` becomes Nova's status, task_state and
power_state (:func:`state_of`); EC2's raw state (``extra['status']``)
refines what libcloud leaves UNKNOWN (stopping, shutting-down).

Errors (:func:`outcome_of_error`): unknown instance 404, wrong state 409
with the vendor's message, throttling 429, vendor down 503, timeout 504,
failed authentication 502 in vmact's words only (a vendor message may
name the key), anything else from the vendor 502. :func:`throttled_for`
tells a refusal by throttling, the one error that may be resent.
"""

import socket

from libcloud.common import exceptions as lc_exc
from libcloud.common import types as lc_types
from libcloud.compute.types import NodeState
import requests

from vmact.backends import base

# NodeState -> (status, task_state, power_state), as Nova would show them.
STATES = {
    NodeState.RUNNING: ('ACTIVE', None, 'running'),
    NodeState.STARTING: ('SHUTOFF', 'powering-on', 'shutdown'),
    NodeState.PENDING: ('BUILD', 'spawning', 'pending'),
    NodeState.STOPPING: ('ACTIVE', 'powering-off', 'running'),
    NodeState.STOPPED: ('SHUTOFF', None, 'shutdown'),
    NodeState.REBOOTING: ('REBOOT', 'rebooting', 'running'),
    NodeState.SUSPENDED: ('SUSPENDED', None, 'suspended'),
    NodeState.PAUSED: ('PAUSED', None, 'paused'),
    NodeState.ERROR: ('ERROR', None, 'crashed'),
    NodeState.TERMINATED: ('DELETED', None, 'shutdown'),
    NodeState.MIGRATING: ('MIGRATING', 'migrating', 'running'),
    NodeState.RECONFIGURING: ('RESIZE', 'resize_migrating', 'running'),
    NodeState.UPDATING: ('ACTIVE', 'updating', 'running'),
    NodeState.NORMAL: ('ACTIVE', None, 'running'),
    NodeState.UNKNOWN: ('UNKNOWN', None, None),
}

# EC2's instance states that libcloud maps to UNKNOWN (or not at all).
EC2_STATES = {
    'stopping': ('ACTIVE', 'powering-off', 'running'),
    'shutting-down': ('DELETED', 'deleting', 'running'),
}

NOT_FOUND_CODES = ('InvalidInstanceID.NotFound',
                   'InvalidInstanceID.Malformed', 'ResourceNotFound',
                   'NotFound')
CONFLICT_CODES = ('IncorrectInstanceState', 'IncorrectState',
                  'UnsupportedOperation', 'InvalidInstanceState',
                  'OperationConflict', 'IncorrectStatus')
THROTTLE_CODES = ('RequestLimitExceeded', 'Throttling',
                  'ThrottlingException', 'TooManyRequests',
                  'Throttling.User', 'RateLimitExceeded')
AUTH_CODES = ('AuthFailure', 'UnauthorizedOperation', 'InvalidClientTokenId',
              'SignatureDoesNotMatch', 'OptInRequired', 'Blocked')

#: What a vendor call raises for the vendor's or the network's failure.
VENDOR_ERRORS = (lc_types.LibcloudError, lc_exc.BaseHTTPError,
                 requests.exceptions.RequestException, OSError)


def state_of(node):
    """A libcloud ``Node``'s state as a :class:`base.ServerState`."""
    raw = (node.extra or {}).get('status')
    status, task, power = EC2_STATES.get(raw) or STATES.get(
        node.state, STATES[NodeState.UNKNOWN])
    return base.ServerState(status, task, power)


def not_found(server_id):
    """The one wording of a missing and of another tenant's instance."""
    return base.Outcome(server_id, 404,
                        'Instance %s could not be found.' % server_id)


def vendor_code(message):
    """The vendor's error code of a libcloud message ("Code: text")."""
    return str(message).split(':', 1)[0].strip()


def throttled_for(error):
    """Seconds to wait before resending, if the vendor refused by throttling.

    A refusal by throttling means the vendor did not act: HTTP 429
    (libcloud's ``RateLimitReachedError``), a throttling code of the
    vendor (EC2's ``RequestLimitExceeded`` comes as a 503), or a 413 or
    503 with ``Retry-After``. The wait is the ``Retry-After`` the error
    carries, 0 when it carries none. None for any other error: a
    timeout, a dropped connection or another 5xx may have been accepted.
    """
    if not isinstance(error, lc_exc.BaseHTTPError):
        return None
    after = _seconds((error.headers or {}).get('retry-after'))
    if error.code == 429 or vendor_code(error.message) in THROTTLE_CODES:
        return after or 0.0
    if error.code in (413, 503) and after is not None:
        return after
    return None


def _seconds(retry_after):
    """A ``Retry-After`` in seconds (libcloud turns a date into them)."""
    try:
        return max(0.0, float(retry_after))
    except (TypeError, ValueError):
        return None


def outcome_of_error(server_id, error, agent):
    """The Outcome of one failed vendor call for ``server_id``.

    Authentication failures never carry the vendor's text, which may
    name the credentials.
    """
    if isinstance(error, lc_types.InvalidCredsError):
        return _auth_failed(server_id, agent)
    if isinstance(error, (requests.exceptions.Timeout, socket.timeout)):
        return base.Outcome(server_id, 504, 'The vendor of agent %s timed '
                            'out' % agent)
    if isinstance(error, (requests.exceptions.ConnectionError,
                          ConnectionError)):
        return base.Outcome(server_id, 503, 'The vendor of agent %s could '
                            'not be reached' % agent)
    if isinstance(error, lc_exc.BaseHTTPError):
        return _http_outcome(server_id, error, agent)
    return base.Outcome(server_id, 502, 'The vendor of agent %s failed: %s'
                        % (agent, type(error).__name__))


def _http_outcome(server_id, error, agent):
    message = str(error.message)
    code = vendor_code(message)
    if code in AUTH_CODES or error.code in (401, 403):
        return _auth_failed(server_id, agent)
    if throttled_for(error) is not None:
        return base.Outcome(server_id, 429, message)
    if code in NOT_FOUND_CODES or error.code == 404:
        return not_found(server_id)
    if code in CONFLICT_CODES or error.code == 409:
        return base.Outcome(server_id, 409, message)
    if error.code == 503:
        return base.Outcome(server_id, 503, message)
    return base.Outcome(server_id, 400 if 400 <= error.code < 500 else 502,
                        message)


def _auth_failed(server_id, agent):
    return base.Outcome(server_id, 502, 'Agent %s could not authenticate to '
                        'its vendor' % agent)
