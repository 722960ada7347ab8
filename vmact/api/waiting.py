"""A bound on requests that wait, so waiting never takes the service down.

A request with ``"wait"`` holds its worker thread until its servers
settle, up to ``[api] max_wait`` seconds; enough of them would hold every
thread and leave none for the health check or anyone else.
:class:`WaitingSlots` admits at most ``[api] max_waiting_share`` of this
process's worker threads into such requests at once, without blocking:
beyond that a request with ``wait`` gets 429 with ``Retry-After`` before
anything is sent (until asynchronous jobs exist). Requests without
``wait`` are never limited here.

The limit is per process, as threads are: under Apache the threads of a
mod_wsgi daemon process (``mod_wsgi.threads_per_process``), otherwise
``[api] server_threads`` (vmact-api's own, or the count to assume under
another WSGI server). The rule as clients see it: doc/source/api-rules.rst,
"wait".
"""

import contextlib
import math
import threading
import time

from oslo_log import log as logging

from vmact import exception
from vmact import metrics

LOG = logging.getLogger(__name__)


class TooManyWaiting(exception.VmactError):
    """Every waiting slot of this process is taken."""

    code = 429

    def __init__(self, limit, threads, retry_after):
        super().__init__(
            'Too many requests are waiting: this process lets %d of its %d '
            'threads wait for servers at once, and all of them are. '
            'Nothing was done: retry in %d s, or send the request without '
            '"wait" and read the servers\' state with GET.'
            % (limit, threads, retry_after))
        self.retry_after = retry_after


class WaitingSlots(object):
    """At most ``limit`` waiting requests at once in this process."""

    def __init__(self, limit, threads, clock=time.monotonic):
        self.limit = limit
        self.threads = threads
        self._clock = clock
        self._lock = threading.Lock()
        self._deadlines = {}

    @property
    def in_use(self):
        return len(self._deadlines)

    @contextlib.contextmanager
    def slot(self, wait):
        """Hold a slot while a request that waits ``wait`` seconds runs.

        ``wait`` 0 needs no slot. Raises :class:`TooManyWaiting` at once
        when every slot is taken; its ``retry_after`` is the time until
        the first waiting request is due to end (at least 1 s).
        """
        if not wait:
            yield
            return
        holder = object()
        now = self._clock()
        with self._lock:
            full = len(self._deadlines) >= self.limit
            if full:
                first_end = min(self._deadlines.values())
            else:
                self._deadlines[holder] = now + wait
        if full:
            LOG.info('Refused a request with "wait": all %d waiting slots '
                     'of this process are taken', self.limit)
            raise TooManyWaiting(self.limit, self.threads,
                                 max(1, math.ceil(first_end - now)))
        try:
            with metrics.gauge_up('waiting'):
                yield
        finally:
            with self._lock:
                del self._deadlines[holder]


def worker_threads(conf):
    """This process's worker threads: mod_wsgi's, else [api] server_threads.

    Outside Apache ``import mod_wsgi`` fails, or finds the mod_wsgi
    package from PyPI (mod_wsgi-express), which has no thread count.
    """
    try:
        import mod_wsgi
    except ImportError:
        mod_wsgi = None
    threads = getattr(mod_wsgi, 'threads_per_process', None)
    return threads if isinstance(threads, int) and threads > 0 else (
        conf.api.server_threads)


def from_conf(conf):
    """The slots for this process: the share of its threads, at least 1."""
    threads = worker_threads(conf)
    limit = max(1, int(threads * conf.api.max_waiting_share + 1e-9))
    LOG.info('At most %d requests with "wait" at once in this process '
             '(%d threads, [api] max_waiting_share = %g)',
             limit, threads, conf.api.max_waiting_share)
    return WaitingSlots(limit, threads)
