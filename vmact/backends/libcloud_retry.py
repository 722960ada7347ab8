"""Resending a libcloud call that the vendor refused by throttling.

Only a refusal by throttling (:func:`vmact.backends.libcloud_map.
throttled_for`) is resent: the vendor did not act on it. Every other
error is raised at once, as it may have been accepted. At most
``throttle_retries`` resends, the first after ``throttle_backoff``
seconds, doubling, or after the ``Retry-After`` the vendor sent; none
whose wait would pass the request's deadline (the refusal is then
raised, a 429).
"""

import time

from oslo_log import log as logging

from vmact.backends import libcloud_map

LOG = logging.getLogger(__name__)


class Throttling(object):
    """The resend policy of one agent's vendor calls."""

    def __init__(self, agent, retries, backoff):
        self.agent = agent
        self.retries = retries
        self.backoff = backoff

    def call(self, send, deadline, what):
        """``send()``, resent while refused by throttling, within bounds.

        :param send: makes the vendor call once.
        :param deadline: a ``time.monotonic()`` value no wait passes.
        :param what: the call, for the log.
        :raises: the last error of ``send``.
        """
        backoff = self.backoff
        for resend in range(1, self.retries + 2):
            try:
                return send()
            except Exception as error:
                after = libcloud_map.throttled_for(error)
                if after is None or resend > self.retries:
                    raise
                wait = after or backoff
                if time.monotonic() + wait >= deadline:
                    LOG.info('Agent %s: %s refused by throttling; no time '
                             'left to wait %.2fs before the deadline',
                             self.agent, what, wait)
                    raise
                LOG.info('Agent %s: %s refused by throttling; resend %d of '
                         '%d in %.2fs', self.agent, what, resend,
                         self.retries, wait)
                time.sleep(wait)
                backoff *= 2
