"""Rate control towards a backend: a token bucket per (agent, region).

One bucket per agent and region in each engine process, shared by every
job it runs there (``[jobs] rate`` calls per second, ``[jobs] burst`` at
most at once after a pause; ``rate = 0`` is no limit). A runner takes one
token per server of a chunk before marking the chunk ``sending``, so a
10,000-server job cannot flood one Nova; the backend's fan-out still
bounds the calls in flight at once.
"""

import threading
import time

_lock = threading.Lock()
_buckets = {}


class TokenBucket(object):
    """``rate`` tokens a second, at most ``burst`` saved; thread-safe.

    :param clock: a monotonic clock (injected by tests).
    :param wait: ``wait(stop_event, seconds)`` sleeps, returning True when
        ``stop_event`` was set (injected by tests with ``clock``).
    """

    def __init__(self, rate, burst, clock=time.monotonic, wait=None):
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._clock = clock
        self._wait = wait or _wait
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = clock()

    def acquire(self, n, stop_event=None):
        """Take ``n`` tokens, waiting as long as it takes.

        Tokens are taken as they come, so a chunk larger than ``burst``
        goes out at ``rate``. :returns: False when ``stop_event`` was set
        first (the tokens taken so far are spent).
        """
        if self.rate <= 0:
            return True
        needed = float(n)
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(float(self.burst), self._tokens + (
                    now - self._stamp) * self.rate)
                self._stamp = now
                taken = min(self._tokens, needed)
                self._tokens -= taken
                needed -= taken
            if needed <= 1e-9:
                return True
            if self._wait(stop_event, min(needed, self.burst) / self.rate):
                return False

    def take_before(self, n, deadline):
        """Take up to ``n`` tokens, waiting no later than ``deadline``.

        ``deadline`` is a value of the bucket's clock. :returns: how many
        whole tokens were taken (``n`` when there is no limit); the
        caller sends that many calls and no more.
        """
        if self.rate <= 0:
            return n
        taken = 0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(float(self.burst), self._tokens + (
                    now - self._stamp) * self.rate)
                self._stamp = now
                whole = min(int(self._tokens + 1e-9), n - taken)
                self._tokens -= whole
                taken += whole
                short = n - taken - self._tokens
            if taken >= n or now >= deadline:
                return taken
            self._wait(None, min(max(short, 1e-3) / self.rate,
                                 deadline - now))

    def retry_after(self, n):
        """Seconds until ``n`` more tokens are due (at least 1)."""
        with self._lock:
            missing = n - self._tokens
        return max(1, int(-(-missing // self.rate))) if self.rate > 0 else 1


def _wait(stop_event, seconds):
    if stop_event is None:
        time.sleep(seconds)
        return False
    return stop_event.wait(seconds)


def limiter_for(conf, agent, region):
    """The process's bucket for ``agent`` in ``region``.

    Built from ``[jobs] rate`` and ``burst`` the first time it is asked.
    """
    key = (agent, region)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = TokenBucket(conf.jobs.rate,
                                                 conf.jobs.burst)
        return bucket


def reset():
    """Forget every bucket (tests, config reload)."""
    with _lock:
        _buckets.clear()
