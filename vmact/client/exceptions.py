"""Typed errors of the vmact client, one class per kind of answer.

Every error carries the server's ``msg``, ``code`` and ``reason``
(doc/source/api-rules.rst, "Error format") and, for a batch, its
per-server ``failures`` and the ``succeeded`` servers ("Batch results").
"""

import collections

#: One server's failure in a batch: its ID, status code and message.
Failure = collections.namedtuple('Failure', ('server', 'code', 'msg'))


class VmactError(Exception):
    """vmact answered with an error, or could not be reached.

    :ivar code: the HTTP status (None when no answer came).
    :ivar failures: :class:`Failure` per failed server, in request order.
    :ivar succeeded: the IDs of the servers that succeeded.
    :ivar servers: a status read's servers that could be read.
    :ivar request_id: the answer's ``x-openstack-request-id``.
    """

    def __init__(self, code=None, msg='', reason=None, failures=(),
                 succeeded=(), servers=(), request_id=None, body=None):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.reason = reason
        self.failures = list(failures)
        self.succeeded = list(succeeded)
        self.servers = list(servers)
        self.request_id = request_id
        self.body = body

    def __str__(self):
        if self.code is None:
            return self.msg
        return '%s (HTTP %d)' % (self.msg, self.code)


class BadRequest(VmactError):
    """400: a field, an ID, an agent or a region the server refused."""


class Unauthorized(VmactError):
    """401: no token, or an invalid, expired or revoked one."""


class Forbidden(VmactError):
    """403: policy does not allow this on the tenant."""


class NotFound(VmactError):
    """404: an unknown path or job, or every server unknown."""


class Conflict(VmactError):
    """409: every server in the wrong state, or an Idempotency-Key reused.

    :ivar retry_after: seconds from ``Retry-After`` (a key still in use).
    """

    def __init__(self, *args, retry_after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class TooManyRequests(Conflict):
    """429: no waiting slot free, or every server throttled.

    :ivar retry_after: seconds from ``Retry-After``, when sent.
    """


class PartialFailure(VmactError):
    """207: some servers failed, not all with the same status."""


class BackendError(VmactError):
    """5xx: vmact, its backend or its database failed or was unreachable."""


class ConnectionFailed(VmactError):
    """No answer: vmact could not be reached, or did not answer in time."""


class WaitTimeout(VmactError):
    """A job did not finish within the time given to wait for it.

    :ivar job: the job as last read.
    """

    def __init__(self, msg, job):
        super().__init__(None, msg)
        self.job = job


_BY_STATUS = {207: PartialFailure, 400: BadRequest, 401: Unauthorized,
              403: Forbidden, 404: NotFound, 409: Conflict,
              429: TooManyRequests}


def error_class(status):
    """The error class for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return BackendError
    return VmactError


def from_response(response):
    """The typed error for an answer that is not a success."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {'msg': (response.text or '')[:200] or response.reason or
                'HTTP %d' % response.status_code}
    failures = [Failure(f.get('server'), f.get('code'), f.get('msg'))
                for f in body.get('failures') or () if isinstance(f, dict)]
    kwargs = {}
    cls = error_class(response.status_code)
    if issubclass(cls, Conflict):
        kwargs['retry_after'] = _seconds(response.headers.get('Retry-After'))
    return cls(response.status_code, str(body.get('msg', '')),
               body.get('reason') or response.reason, failures=failures,
               succeeded=body.get('succeeded') or (),
               servers=body.get('servers') or (),
               request_id=response.headers.get('x-openstack-request-id'),
               body=body, **kwargs)


def _seconds(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
