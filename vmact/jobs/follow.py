"""Follow a waited job's accepted servers until they settle.

The rules of :meth:`vmact.backends.base.Backend.wait`, per server and
across chunks: each accepted server is read with the backend's ``show``
at an interval that doubles from the agent's ``poll_interval`` up to its
``poll_max_interval``, until it reaches the target state (``succeeded``,
200), goes to ERROR (``failed`` 502), can no longer be read (``failed``,
its 4xx) or ``wait`` seconds pass since its acceptance (``failed`` 504,
naming its last state). The job's deadline cuts every wait short. After
a restart the accepted rows are followed again for the time they have
left (read at once, then as above).
"""

import dataclasses
import datetime
import typing

from oslo_log import log as logging
from oslo_utils import timeutils

from vmact.backends import base
from vmact.db import api as db
from vmact import exception

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Followed(object):
    """One accepted server being followed."""

    server: str
    deadline: datetime.datetime
    next_poll: datetime.datetime
    interval: float
    state: typing.Optional[base.ServerState] = None


class Follower(object):
    """The accepted servers of one runner's job, and their reads."""

    def __init__(self, runner):
        self.runner = runner
        self.followed = {}

    def add(self, idx, server, accepted_at, now=None):
        """Follow ``server`` (row ``idx``) accepted at ``accepted_at``.

        ``now`` (a restart) reads it at once, else after the first
        interval.
        """
        opts = self.runner.backend.opts
        deadline = min(accepted_at + datetime.timedelta(
            seconds=self.runner.action.wait), self.runner.job['deadline'])
        first = now if now is not None else min(
            accepted_at + datetime.timedelta(seconds=opts.poll_interval),
            deadline)
        self.followed[idx] = Followed(server, deadline, first,
                                      opts.poll_interval)

    def resume(self, rows, now=None):
        """Follow again the ``accepted`` rows of a job taken over."""
        now = now or timeutils.utcnow()
        for row in rows:
            self.add(row['idx'], row['server_id'],
                     row['accepted_at'] or row['sent_at'] or now, now)

    def next_poll(self):
        """When the next read is due, or None when nothing is followed."""
        return min((f.next_poll for f in self.followed.values()),
                   default=None)

    def poll(self, now):
        """Read the servers due, in chunks; settle those that are done."""
        due = [idx for idx, f in self.followed.items() if f.next_poll <= now]
        size = self.runner.opts.chunk_size
        for start in range(0, len(due), size):
            self._read(due[start:start + size], now)

    def _read(self, idxs, now):
        runner = self.runner
        servers = [self.followed[idx].server for idx in idxs]
        try:
            shown = runner.backend.show(runner.context,
                                        runner.target(servers))
        except exception.VmactError as e:
            LOG.warning('Job %s: servers could not be read while waiting: '
                        '%s', runner.job_id, e.msg)
            # Not the servers' own answer: read them again next time.
            shown = [base.Outcome(server, 503, e.msg) for server in servers]
        settled = []
        for idx, outcome in zip(idxs, shown):
            followed = self.followed[idx]
            if outcome.ok:
                followed.state = outcome.state
            verdict = base.settled_outcome(runner.action, outcome)
            if verdict is None and now >= followed.deadline:
                verdict = base.timed_out(runner.action, followed.server,
                                         followed.state)
            if verdict is not None:
                settled.append((idx, verdict))
                continue
            opts = runner.backend.opts
            followed.interval = min(followed.interval * 2,
                                    opts.poll_max_interval)
            followed.next_poll = min(now + datetime.timedelta(
                seconds=followed.interval), followed.deadline)
        self._settle(settled)

    def expire(self):
        """The job's deadline: every server still followed timed out."""
        self._settle([(idx, base.timed_out(self.runner.action, f.server,
                                           f.state))
                      for idx, f in self.followed.items()])

    def _settle(self, settled):
        if not settled:
            return
        db.set_states(self.runner.job_id, [
            {'idx': idx, 'old': 'accepted',
             'state': 'succeeded' if verdict.code == 200 else 'failed',
             'code': verdict.code, 'msg': verdict.msg}
            for idx, verdict in settled])
        for idx, verdict in settled:
            del self.followed[idx]
            self.runner.audit(verdict, 'succeeded' if verdict.code == 200
                              else 'failed')
