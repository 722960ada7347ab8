"""SOFT_FIRST: a SOFT reboot, then a HARD one for the servers not back.

The rules, shared by synchronous requests (:func:`act`) and jobs
(:mod:`vmact.jobs.runner`, which keeps the same steps on its rows):

* SOFT is sent to every server;
* a SOFT refused because of the server's state (409, e.g. SHUTOFF, which
  Nova soft-reboots from ACTIVE only) is escalated at once: HARD;
* ``grace`` seconds after the SOFT was accepted each server is read; the
  ones not ACTIVE with no task_state (:func:`lagging`) get HARD;
* HARD is sent at most once per server; a server read as unreadable
  keeps its SOFT outcome (nothing is known to escalate on).

The escalated servers are named in the answer (``escalated``), and their
outcome is the HARD's, its message saying why it was sent.
"""

import dataclasses
import time

from vmact.backends import base

REFUSED_MSG = 'SOFT reboot refused (%s); HARD reboot sent'
LAGGING_MSG = 'Not back in ACTIVE %gs after its SOFT reboot; HARD reboot sent'


def soft(action):
    """The SOFT reboot of a SOFT_FIRST ``action``."""
    return dataclasses.replace(action, reboot_type=base.SOFT, grace=None)


def hard(action):
    """The HARD reboot of a SOFT_FIRST ``action``."""
    return dataclasses.replace(action, reboot_type=base.HARD, grace=None)


def is_soft_first(action):
    return action.name == base.REBOOT and action.reboot_type == \
        base.SOFT_FIRST


def refused_for_state(outcome):
    """A SOFT the backend refused because of the server's state."""
    return outcome.code == 409 and outcome.same_as is None


def lagging(shown):
    """A server read ``grace`` after its SOFT reboot that needs HARD."""
    return shown.ok and not base.settled_in(shown.state, 'ACTIVE')


def escalated_outcome(outcome, why):
    """The HARD's ``outcome``, its message saying why HARD was sent."""
    msg = why if not outcome.msg else '%s: %s' % (why, outcome.msg)
    return dataclasses.replace(outcome, msg=msg)


def act(send, show, target, action, sleep=time.sleep):
    """Run a SOFT_FIRST ``action`` on ``target``: (outcomes, escalated).

    :param send: ``send(target, action) -> [Outcome]`` (the backend's
        ``act``, rate-limited by the caller).
    :param show: ``show(target) -> [Outcome]`` (the backend's ``show``).
    :param sleep: waits ``action.grace`` seconds (injected by tests).
    :returns: one Outcome per server in order, and the escalated IDs.
    """
    outcomes = {o.server: o for o in send(target, soft(action))}
    escalated = []

    def escalate(servers, why):
        sub = dataclasses.replace(target, servers=tuple(servers))
        for outcome in send(sub, hard(action)):
            outcomes[outcome.server] = escalated_outcome(outcome, why)
            escalated.append(outcome.server)

    refused = [o for o in outcomes.values() if refused_for_state(o)]
    if refused:
        escalate([o.server for o in refused], REFUSED_MSG % refused[0].code)
    accepted = [s for s, o in outcomes.items()
                if o.code == 202 and s not in escalated]
    if accepted:
        sleep(action.grace)
        shown = show(dataclasses.replace(target, servers=tuple(accepted)))
        behind = [o.server for o in shown if lagging(o)]
        if behind:
            escalate(behind, LAGGING_MSG % action.grace)
    return [outcomes[s] for s in target.servers], escalated
