"""What a backend driver implements: ``show`` and ``act``.

A driver serves one agent (one ``Sp-Agent`` value) and is handed the
servers of one tenant in one region (a :class:`Target`, servers distinct
and in request order). Subclass :class:`Backend` and implement:

``show(context, target)``
    Read each server. Return one :class:`Outcome` per server, in
    ``target.servers`` order: 200 with its :class:`ServerState`, or the
    failure (404 for a server that is missing or not the tenant's, both
    worded alike, so no one learns of others' servers).

``act(context, target, action)``
    Send ``action`` once to each server and return one Outcome per
    server, in order: 202 when the cloud accepted it, else the failure
    (409 for a state that does not allow it, ...). With
    ``action.only_if_needed``, read each server first and pass the read
    to :func:`instead_of_sending`: when it returns an Outcome, report
    that and send nothing. Do not wait: the caller runs :meth:`wait`.

Neither raises for one server's failure; only errors of the whole
request (unknown region, identity service down) are raised, as
:class:`vmact.exception.VmactError`. A driver that calls a service bounds
its calls by the agent's ``request_deadline``
(:mod:`vmact.backends.fanout` runs one call per server under it,
:mod:`vmact.backends.http` cuts HTTP timeouts to it). A driver that finds
one server under several IDs reports the others with
:meth:`Outcome.for_other_id`. ``list_opts`` names the driver's options.
"""

import abc
import dataclasses
import time
import typing

from vmact import exception

START = 'os-start'
STOP = 'os-stop'
REBOOT = 'reboot'
ACTIONS = (START, STOP, REBOOT)
HARD = 'HARD'
SOFT = 'SOFT'
#: SOFT, then HARD for the servers not back after ``Action.grace``
#: (:mod:`vmact.backends.soft_first`); never sent to a driver as such.
SOFT_FIRST = 'SOFT_FIRST'

TARGET_STATUS = {START: 'ACTIVE', STOP: 'SHUTOFF', REBOOT: 'ACTIVE'}
ERROR_STATUS = 'ERROR'


@dataclasses.dataclass(frozen=True)
class Action:
    """One of the three actions, with its reboot type and extensions."""

    name: str
    reboot_type: typing.Optional[str] = None
    only_if_needed: bool = False
    wait: float = 0
    #: SOFT_FIRST: seconds between the SOFT reboot and the HARD one.
    grace: typing.Optional[float] = None

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
class Selector:
    """Which servers ``"select"`` asks for: every criterion must hold.

    ``tags``: all of them; ``tags_any``: at least one; ``name``: a regex
    searched in the name; ``status``: the Nova status, upper case.
    """

    tags: typing.Tuple[str, ...] = ()
    tags_any: typing.Tuple[str, ...] = ()
    name: typing.Optional[str] = None
    status: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class ServerState:
    """A server's state as Nova shows it."""

    status: str
    task_state: typing.Optional[str] = None
    power_state: typing.Optional[str] = None

    def as_dict(self):
        """The state as the status read shows it."""
        return {'status': self.status, 'task_state': self.task_state,
                'power_state': self.power_state}


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
    #: Set by :meth:`for_other_id`: the ID this outcome is a copy of.
    same_as: typing.Optional[str] = None
    #: The backend's own id of the call (Nova's x-openstack-request-id).
    backend_request_id: typing.Optional[str] = None
    #: Seconds the backend asked to wait before sending again, on a
    #: refusal that says the call was not accepted (429, 503 Retry-After).
    retry_after: typing.Optional[float] = None

    @property
    def ok(self):
        return 200 <= self.code < 300

    def for_other_id(self, server_id):
        """This outcome for ``server_id``, another ID of the same server.

        Nothing was sent under that ID: an accepted action (202) is
        reported as 200, any other outcome as it is, naming this one.
        """
        msg = 'Same server as %s' % self.server
        if self.msg:
            msg = '%s: %s' % (msg, self.msg)
        code = 200 if self.code == 202 else self.code
        return Outcome(server_id, code, msg, self.state, same_as=self.server)


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

    #: True for a driver that resends throttled calls itself, within the
    #: call (libcloud): an action now then does not resend them again.
    resends_refusals = False

    def __init__(self, conf, agent):
        self.conf = conf
        self.agent = agent
        self.opts = conf[agent]

    @property
    def acts_as_caller(self):
        """True when the backend acts with the caller's own credentials.

        A job of such an agent needs a Keystone trust to act as the caller
        after its token expires (:mod:`vmact.jobs.trusts`).
        """
        return False

    def server_key(self, server_id):
        """The key under which the backend knows ``server_id``.

        Two IDs with one key are one server (Nova: the letter cases of a
        UUID); a job sends to the first and reports the others as the
        same server.
        """
        return server_id

    def select(self, context, tenant_id, region, selector):
        """The IDs of ``tenant_id``'s servers in ``region`` that match.

        :param selector: a :class:`Selector`. This default: a 400.
        """
        raise exception.BadRequest(
            'Agent %s does not support selection ("select"); name the '
            'servers in "servers" instead.' % exception.quote(self.agent))

    def plan(self, context, target, action):
        """What ``action`` would do to each server; nothing is sent.

        One :class:`vmact.backends.plan.Plan` per server, in order. This
        default reads each server with :meth:`show` and applies the
        generic state rules of :mod:`vmact.backends.plan`.
        """
        from vmact.backends import plan as plan_rules
        return [plan_rules.generic(action, shown)
                for shown in self.show(context, target)]

    @abc.abstractmethod
    def show(self, context, target):
        """One Outcome per server of ``target``: 200 with its state."""

    @abc.abstractmethod
    def act(self, context, target, action):
        """Send ``action`` once to each server; one Outcome per server.

        202 when accepted; :func:`instead_of_sending` decides for servers
        read first (``only_if_needed``).
        """

    def received(self, context, target, action, since):
        """Whether each server received ``action`` at or after ``since``.

        Asked after a crash about calls that may or may not have been
        sent (naive UTC ``since``). :returns: {server: True (received),
        False (not received) or None (not known)}; this default knows
        nothing.
        """
        return dict.fromkeys(target.servers)

    def wait(self, context, target, action, outcomes):
        """``outcomes`` of :meth:`act`, after ``action.wait`` if asked.

        Servers accepted (202) are read with :meth:`show`, only those
        still pending, at an interval that doubles from ``poll_interval``
        up to ``poll_max_interval``, until each reaches the target state
        (200), goes to ERROR (502), can no longer be read (its 4xx) or
        ``action.wait`` seconds pass (504 naming its last state). Other
        IDs of a followed server (``same_as``) get its new outcome.
        """
        accepted = tuple(o.server for o in outcomes if o.code == 202)
        if not (action.wait and accepted):
            return outcomes
        settled = {o.server: o for o in self._follow(
            context, dataclasses.replace(target, servers=accepted), action)}
        result = []
        for outcome in outcomes:
            followed = settled.get(outcome.same_as or outcome.server)
            if followed is None:
                result.append(outcome)
            elif outcome.same_as:
                result.append(followed.for_other_id(outcome.server))
            else:
                result.append(followed)
        return result

    def _follow(self, context, target, action):
        """Poll ``target``'s servers until they settle; yield outcomes."""
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
                settled = settled_outcome(action, outcome)
                if settled is not None:
                    del pending[outcome.server]
                    yield settled
        for server, state in pending.items():
            yield timed_out(action, server, state)


def settled_outcome(action, shown):
    """The final outcome of a followed server read as ``shown``, or None.

    200 when it reached the target state, 502 when it went to ERROR, its
    own failure when it can no longer be read (a 4xx other than 429);
    None while it may still get there.
    """
    if shown.ok:
        state = shown.state
        if settled_in(state, action.target_status):
            return Outcome(shown.server, 200, 'reached %s' % state.status,
                           state)
        if state.status == ERROR_STATUS:
            return Outcome(shown.server, 502, _not_reached(
                action, state, 'went to ERROR'), state)
    elif shown.code < 500 and shown.code != 429:
        return shown
    return None


def timed_out(action, server, state):
    """The 504 of a server not settled after ``action.wait`` seconds."""
    return Outcome(server, 504, _not_reached(
        action, state, 'did not get there in %gs' % action.wait), state)


def instead_of_sending(action, shown):
    """What to report for a server read before ``action``, or None.

    :param shown: the server's Outcome as :meth:`Backend.show` reads it.
    :returns: None when ``action`` must be sent; else the Outcome to
        report without sending: the failed read as it is, or with
        ``only_if_needed`` a server already settled in the target state
        (200, "already <STATUS>").
    """
    if not shown.ok:
        return shown
    if action.only_if_needed and settled_in(shown.state,
                                            action.target_status):
        return Outcome(shown.server, 200, 'already %s' % shown.state.status,
                       shown.state)
    return None


def not_accepted(outcome):
    """The backend refused the call and says it did not act on it.

    429 (Nova's 413 is mapped to it), or 503 with a ``Retry-After``: the
    only outcomes vmact ever sends again.
    """
    return outcome.code == 429 or (
        outcome.code == 503 and outcome.retry_after is not None)


def settled_in(state, status):
    """``state`` is ``status`` with no task in progress."""
    return state.status == status and not state.task_state


def _not_reached(action, state, why):
    if state is None:
        last = 'its state could not be read'
    else:
        last = 'last status %s, task_state %s' % (
            state.status, state.task_state)
    return 'Waited for %s to reach %s but it %s (%s)' % (
        action, action.target_status, why, last)
