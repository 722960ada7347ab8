"""SOFT_FIRST in a job: the rules of :mod:`vmact.backends.soft_first` on rows.

A row's ``escalated`` column says where it is: NULL while its SOFT is
pending or accepted and not yet checked, False once checked (no HARD
needed), True once HARD was decided. A SOFT refused because of the state
(409) goes back to ``pending`` with ``escalated`` True at once; an
accepted SOFT is read ``grace`` seconds after its ``accepted_at`` and a
server lagging behind goes back to ``pending`` with ``escalated`` True.
The runner sends the pending rows with ``escalated`` True as HARD, once
(like every send, under the exactly-once rule; a HARD in flight at a
crash is reconciled against Nova's second ``reboot`` action). Every step
is read from the rows, so a job taken over checks its accepted SOFTs at
``accepted_at + grace`` again.
"""

import dataclasses
import datetime

from oslo_log import log as logging

from vmact.backends import base
from vmact.backends import soft_first
from vmact.db import api as db
from vmact import exception

LOG = logging.getLogger(__name__)


def action_of(job, action):
    """The job's action: SOFT_FIRST when the job has a grace."""
    if job.get('grace') is None:
        return action
    return dataclasses.replace(action, reboot_type=base.SOFT_FIRST,
                               grace=job['grace'])


def of(runner):
    """The runner's Escalation, or None when its job is not SOFT_FIRST."""
    return Escalation(runner) if runner.action.grace is not None else None


def skew(clock_skew, row, grace):
    """The reconcile skew of a row in flight at a crash.

    A HARD follows its SOFT (both Nova ``reboot`` actions) by ``grace``
    seconds at least: looking back more than half of it could find the
    SOFT and take it for the HARD.
    """
    if row.get('escalated') and grace:
        return datetime.timedelta(seconds=min(clock_skew.total_seconds(),
                                              grace / 2.0))
    return clock_skew


class Escalation(object):
    """The accepted SOFT reboots of one runner's job awaiting their check."""

    def __init__(self, runner):
        self.runner = runner
        self.grace = datetime.timedelta(seconds=runner.job['grace'])
        self.checks = {}

    def resume(self, rows):
        """Check again the accepted, undecided rows of a job taken over.

        :returns: the rows already decided (to follow, with ``wait``).
        """
        decided = []
        for row in rows:
            if row['escalated'] is None:
                self.add(row['idx'], row['server_id'],
                         row['accepted_at'] or row['sent_at'])
            else:
                decided.append(row)
        return decided

    def send(self, due):
        """Send a chunk: its SOFTs, then its HARDs, apart."""
        why = self.hard_rows()
        action = self.runner.action
        for kind, part in ((soft_first.soft(action),
                            [d for d in due if d[0] not in why]),
                           (soft_first.hard(action),
                            [d for d in due if d[0] in why])):
            if part:
                self.runner.send(part, kind, why)

    def add(self, idx, server, accepted_at):
        self.checks[idx] = (server, accepted_at + self.grace)

    def next_check(self):
        return min((due for _, due in self.checks.values()), default=None)

    def hard_rows(self):
        """{idx: why} of the rows pending a HARD reboot."""
        return {row['idx']: row['msg'] for row in db.servers_in(
            self.runner.job_id, ['pending']) if row['escalated']}

    def after_send(self, update, outcome, action, why=None):
        """Adjust a SOFT's or HARD's row ``update`` for SOFT_FIRST.

        ``why``: a HARD's reason, as its row said before the send.
        """
        if action.reboot_type == base.HARD:
            update['msg'] = soft_first.escalated_outcome(
                outcome, why or 'HARD reboot after its SOFT one').msg
        elif soft_first.refused_for_state(outcome):
            update.update(state='pending', escalated=True, not_before=None,
                          msg=soft_first.REFUSED_MSG % outcome.code)
        return update

    def poll(self, now):
        """Read the servers whose grace is over; escalate the laggards."""
        due = sorted(idx for idx, (_, at) in self.checks.items()
                     if at <= now)
        size = self.runner.opts.chunk_size
        for start in range(0, len(due), size):
            self._check(due[start:start + size], now)

    def _check(self, idxs, now):
        runner = self.runner
        servers = [self.checks[idx][0] for idx in idxs]
        try:
            shown = runner.backend.show(runner.context,
                                        runner.target(servers))
        except exception.VmactError as e:
            LOG.warning('Job %s: servers not read after their grace: %s',
                        runner.job_id, e.msg)
            shown = [base.Outcome(server, 503, e.msg) for server in servers]
        retry = now + datetime.timedelta(
            seconds=runner.backend.opts.poll_interval)
        updates, kept = [], []
        for idx, outcome in zip(idxs, shown):
            if outcome.code >= 500 or outcome.code == 429:
                self.checks[idx] = (outcome.server, retry)
                continue
            del self.checks[idx]
            if soft_first.lagging(outcome):
                updates.append({
                    'idx': idx, 'old': 'accepted', 'state': 'pending',
                    'escalated': True, 'code': None,
                    'msg': soft_first.LAGGING_MSG % runner.job['grace']})
            else:
                updates.append({'idx': idx, 'old': 'accepted',
                                'state': 'accepted', 'escalated': False,
                                'code': 202})
                kept.append((idx, outcome.server))
        db.set_states(runner.job_id, updates)
        if runner.action.wait:
            for idx, server in kept:
                runner.follower.add(idx, server, now, now)
