"""The one small interface every backend driver implements.

A driver serves one agent (one ``Sp-Agent`` value). It does two things for
a list of servers of one tenant in one region: ``show`` their state and
``send`` one action to each. Both return one :class:`Outcome` per server,
in request order, and never raise for a single server's failure: only
errors that concern the whole request (unknown region, identity service
down) are raised, as :class:`vmact.exception.VmactError`.

``act`` builds the contract's ``only_if_needed`` and ``wait`` extensions on
top of those two calls, so every driver gets them; a driver may override it
when it can do better.
"""

import abc
import dataclasses
import time
import typing

START = 'os-start'
STOP = 'os-stop'
REBOOT = 'reboot'
ACTIONS = (START, STOP, REBOOT)
HARD = 'HARD'
SOFT = 'SOFT'

TARGET_STATUS = {START: 'ACTIVE', STOP: 'SHUTOFF', REBOOT: 'ACTIVE'}
ERROR_STATUS = 'ERROR'


@dataclasses.dataclass(frozen=True)
class Action:
    """One of the three actions, with its reboot type and extensions."""

    name: str
    reboot_type: typing.Optional[str] = None
    only_if_needed: bool = False
    wait: float = 0

    @property
    def target_status(self):
        return TARGET_STATUS[self.name]

    def __str__(self):
        if self.name == REBOOT:
            return '%s(%s)' % (self.name, self.reboot_type)
        return self.name


@dataclasses.dataclass(frozen=True)
class Target:
    """The servers of one tenant in one region that a request names."""

    tenant_id: str
    region: str
    servers: typing.Tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ServerState:
    """A server's state as Nova shows it."""

    status: str
    task_state: typing.Optional[str] = None
    power_state: typing.Optional[str] = None

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one server.

    ``code`` is an HTTP status: 202 when the backend accepted an action,
    200 for a state read or a server already in the target state, and the
    backend's error status (404, 409, 502, ...) with its message otherwise.
    """

    server: str
    code: int
    msg: str = ''
    state: typing.Optional[ServerState] = None

    @property
    def ok(self):
        return 200 <= self.code < 300


class Backend(metaclass=abc.ABCMeta):
    """A backend driver, loaded once per agent from ``vmact.backends``.

    :param conf: the service's ``ConfigOpts``; the driver's options are
        registered in the agent's group before the driver is built.
    :param agent: the agent's name, which is also its config group.
    """

    @classmethod
    def list_opts(cls):
        """The options this driver reads from its agent's section."""
        return []

    def __init__(self, conf, agent):
        self.conf = conf
        self.agent = agent
        self.opts = conf[agent]

    @abc.abstractmethod
    def show(self, context, target):
        """Return one Outcome per server of ``target``, with its state."""

    @abc.abstractmethod
    def send(self, context, target, action, verified=frozenset()):
        """Send ``action`` once to each server of ``target``.

        :param verified: servers already shown to belong to
            ``target.tenant_id`` in this request (by ``show``), which the
            driver need not check again.
        :returns: one Outcome per server: 202 when accepted.
        """

    def act(self, context, target, action):
        """Apply ``action`` with the contract's extensions.

        ``only_if_needed``: read the states first and report servers
        already in the target state as done (200) without a call.
        ``wait``: follow accepted servers until the target state, ERROR or
        the time runs out.
        """
        outcomes = {}
        verified = frozenset()
        todo = target.servers
        if action.only_if_needed:
            for shown in self.show(context, target):
                if not shown.ok:
                    outcomes[shown.server] = shown
                elif settled_in(shown.state, action.target_status):
                    outcomes[shown.server] = Outcome(
                        shown.server, 200, 'already %s' % shown.state.status,
                        shown.state)
            todo = tuple(s for s in target.servers if s not in outcomes)
            verified = frozenset(todo)
        if todo:
            sent = self.send(context, dataclasses.replace(
                target, servers=todo), action, verified=verified)
            outcomes.update((o.server, o) for o in sent)
        return self.follow(context, target, action, outcomes)

    def follow(self, context, target, action, outcomes):
        """The outcomes in request order, after ``wait`` if asked.

        :param outcomes: {server: Outcome} of the action; with
            ``action.wait`` the servers it accepted (202) are followed by
            :meth:`wait_for` and their outcomes replaced.
        """
        accepted = tuple(s for s in target.servers
                         if outcomes[s].code == 202)
        if action.wait and accepted:
            waited = self.wait_for(context, dataclasses.replace(
                target, servers=accepted), action)
            outcomes.update((o.server, o) for o in waited)
        return [outcomes[s] for s in target.servers]

    def wait_for(self, context, target, action):
        """Poll ``target``'s servers until they settle; yield outcomes.

        Polls only the servers still pending, with an interval that
        doubles from ``poll_interval`` up to ``poll_max_interval``, and
        stops at ``action.wait`` seconds: at most
        ``wait / poll_interval`` rounds, far fewer with the back-off.
        """
        deadline = time.monotonic() + action.wait
        interval = self.opts.poll_interval
        pending = dict.fromkeys(target.servers)
        while pending:
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(interval, deadline - now))
            interval = min(interval * 2, self.opts.poll_max_interval)
            shown = self.show(context, dataclasses.replace(
                target, servers=tuple(pending)))
            for outcome in shown:
                if outcome.ok:
                    pending[outcome.server] = outcome.state
                    state = outcome.state
                    if settled_in(state, action.target_status):
                        del pending[outcome.server]
                        yield Outcome(outcome.server, 200,
                                      'reached %s' % state.status, state)
                    elif state.status == ERROR_STATUS:
                        del pending[outcome.server]
                        yield Outcome(outcome.server, 502, _not_reached(
                            action, state, 'went to ERROR'), state)
                elif outcome.code < 500 and outcome.code != 429:
                    del pending[outcome.server]
                    yield outcome
        for server, state in pending.items():
            yield Outcome(server, 504, _not_reached(
                action, state, 'did not get there in %gs' % action.wait),
                state)


def settled_in(state, status):
    return state.status == status and not state.task_state


def _not_reached(action, state, why):
    if state is None:
        last = 'its state could not be read'
    else:
        last = 'last status %s, task_state %s' % (
            state.status, state.task_state)
    return 'Waited for %s to reach %s but it %s (%s)' % (
        action, action.target_status, why, last)
