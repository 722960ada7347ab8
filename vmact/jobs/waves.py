"""Waves: a job sends its servers N at a time, with a failure budget.

``"waves": {"size": N, "pause": S, "max_failures": K}`` (asynchronous
requests only). Each server's wave is ``idx // N``, written with the job.
The runner sends wave w + 1 only when every server of wave w is done
(accepted, or with ``wait`` succeeded or failed; SOFT_FIRST: also its
escalation decided), and S seconds after the last of them was: the
latest ``updated_at`` of the wave's rows. When more than K servers have
failed, every server still pending is ``cancelled`` and the job ends
``FAIL``. Nothing is kept in memory: :func:`gate` reads the rows'
states (:func:`vmact.db.api.wave_progress`), so an engine that takes a
job over finds where it was.
"""

import dataclasses
import datetime
import json
import typing

from oslo_log import log as logging

from vmact.db import api as db
from vmact import exception

LOG = logging.getLogger(__name__)

BUDGET_MSG = 'cancelled: failure budget of %d exceeded'
DONE = ('succeeded', 'skipped', 'failed', 'cancelled')


@dataclasses.dataclass(frozen=True)
class Waves(object):
    """A job's waves: their size, the pause between them, the budget."""

    size: int
    pause: float = 0
    max_failures: typing.Optional[int] = None

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        """The job column's value as Waves; None stays None."""
        return cls(**json.loads(text)) if text else None

    def over_budget(self, failed):
        return self.max_failures is not None and failed > self.max_failures


@dataclasses.dataclass(frozen=True)
class Gate(object):
    """What the rows allow now.

    ``wave``: the last wave whose servers may be sent (None: none yet);
    ``opens_at``: when the next wave may start (None: not waiting);
    ``failed``: servers failed so far.
    """

    wave: typing.Optional[int]
    opens_at: typing.Optional[datetime.datetime]
    failed: int


#: The gate of a job without waves: every pending server may be sent.
OPEN = Gate(None, None, 0)


def from_body(body, as_job, max_pause):
    """The request's ``waves`` (validated by its schema), or None.

    A synchronous request with ``waves``, or a pause over
    ``[jobs] max_wave_pause``: a 400 naming the field.
    """
    given = body.get('waves')
    if given is None:
        return None
    if not as_job:
        raise exception.BadRequest(
            'Field "waves" in the request body applies to asynchronous '
            'requests only: send "async": true (or Prefer: respond-async) '
            'to run the action as a job in waves.')
    pause = given.get('pause', 0)
    if pause > max_pause:
        raise exception.BadRequest(
            'Field "waves.pause" in the request body is %s; at most %d '
            'seconds are allowed ([jobs] max_wave_pause).'
            % (exception.quote(pause, 40), max_pause))
    return Waves(given['size'], float(pause), given.get('max_failures'))


def is_done(state, escalated, wait, soft_first):
    """Whether a row in ``state`` lets the next wave start."""
    if state in DONE:
        return True
    return state == 'accepted' and not wait and not (
        soft_first and escalated is None)


def gate(waves, progress, wait, soft_first, now):
    """The :class:`Gate` of ``waves`` given the rows' ``progress``.

    :param progress: ``[(wave, state, escalated, count, last updated)]``
        (:func:`vmact.db.api.wave_progress`).
    """
    undone, last = {}, {}
    failed = 0
    for wave, state, escalated, count, updated in progress:
        undone.setdefault(wave, 0)
        if state == 'failed':
            failed += count
        if is_done(state, escalated, wait, soft_first):
            last[wave] = max(updated, last.get(wave, updated))
        else:
            undone[wave] += count
    current = min((w for w, n in undone.items() if n), default=None)
    if current is None:
        return Gate(max(undone, default=None), None, failed)
    if current == 0 or current - 1 not in last:
        return Gate(current, None, failed)
    opens_at = last[current - 1] + datetime.timedelta(seconds=waves.pause)
    if opens_at <= now:
        return Gate(current, None, failed)
    return Gate(current - 1, opens_at, failed)


class Control(object):
    """The waves of one runner's job: which may be sent, and the budget."""

    def __init__(self, runner, waves):
        self.runner = runner
        self.waves = waves

    def gate(self, now):
        """The rows' :class:`Gate`; over budget, cancel the pending first."""
        runner = self.runner
        found = gate(self.waves, db.wave_progress(runner.job_id),
                     runner.action.wait, runner.escalation is not None, now)
        if self.waves.over_budget(found.failed):
            msg = BUDGET_MSG % self.waves.max_failures
            cancelled = db.cancel_pending(runner.job_id, msg)
            if cancelled:
                LOG.info('Job %s: %d servers failed, over its budget of %d: '
                         '%d pending servers cancelled', runner.job_id,
                         found.failed, self.waves.max_failures, cancelled)
        return found

    def final_status(self, status, counts):
        """FAIL when the budget was exceeded, else ``status``."""
        return 'FAIL' if self.waves.over_budget(
            counts.get('failed', 0)) else status
