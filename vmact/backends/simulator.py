"""An in-memory cloud for development and demos: no real server is touched.

Servers live per tenant and region, created from the agent's section
(``servers``, ``tenants`` + ``servers_per_tenant``). Actions follow Nova's
own state rules (``nova/compute/api.py``'s ``check_instance_state``):

* os-start: only from SHUTOFF (vm_state stopped), no task in progress;
* os-stop: from ACTIVE or ERROR, no task in progress;
* reboot SOFT: only from ACTIVE, no task in progress;
* reboot HARD: from ACTIVE, SHUTOFF, PAUSED, SUSPENDED or ERROR, also
  while a reboot is in progress;

anything else is a 409 worded as Nova words it, and an unknown server (or
one of another tenant) is a 404. An accepted action shows its task state
(powering-off, rebooting, ...) for ``transition_delay`` seconds, then
settles, so ``wait`` and the status read show real progress.
"""

import dataclasses
import threading
import time

from oslo_utils import timeutils

from vmact.backends import base
from vmact.backends import name_match
from vmact.conf import simulator as simulator_conf
from vmact import exception

ACTIVE = 'active'
STOPPED = 'stopped'
PAUSED = 'paused'
SUSPENDED = 'suspended'
ERROR = 'error'

VM_STATE_BY_STATUS = {'ACTIVE': ACTIVE, 'SHUTOFF': STOPPED,
                      'PAUSED': PAUSED, 'SUSPENDED': SUSPENDED,
                      'ERROR': ERROR}
STATUS_BY_VM_STATE = {v: k for k, v in VM_STATE_BY_STATUS.items()}
STATUS_BY_TASK = {'rebooting': 'REBOOT', 'rebooting_hard': 'HARD_REBOOT'}
POWER_BY_VM_STATE = {ACTIVE: 'running', STOPPED: 'shutdown',
                     PAUSED: 'paused', SUSPENDED: 'suspended',
                     ERROR: 'nostate'}
HARD_REBOOT_TASKS = (None, 'rebooting', 'rebooting_hard')

# action -> (allowed vm_states, allowed task_states, task, final vm_state)
RULES = {
    base.START: ((STOPPED,), (None,), 'powering-on', ACTIVE),
    base.STOP: ((ACTIVE, ERROR), (None,), 'powering-off', STOPPED),
    (base.REBOOT, base.SOFT): ((ACTIVE,), (None,), 'rebooting', ACTIVE),
    (base.REBOOT, base.HARD): ((ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR),
                               HARD_REBOOT_TASKS, 'rebooting_hard', ACTIVE),
}
NOVA_VERB = {base.START: 'start', base.STOP: 'stop', base.REBOOT: 'reboot'}


class SimulatedServer(object):
    """One server's vm_state and the task that will change it."""

    def __init__(self, vm_state, tags=()):
        self.vm_state = vm_state
        self.tags = frozenset(tags)
        self.task_state = None
        self.final_vm_state = None
        self.settle_at = None

    def settle(self, now):
        if self.task_state and now >= self.settle_at:
            self.vm_state = self.final_vm_state
            self.task_state = self.final_vm_state = self.settle_at = None

    def state(self):
        status = STATUS_BY_TASK.get(self.task_state,
                                    STATUS_BY_VM_STATE[self.vm_state])
        return base.ServerState(status, self.task_state,
                                POWER_BY_VM_STATE[self.vm_state])


class SimulatorBackend(base.Backend):
    """The ``simulator`` driver: Nova's state rules on in-memory servers."""

    @classmethod
    def list_opts(cls):
        return simulator_conf.list_opts()

    def __init__(self, conf, agent):
        super().__init__(conf, agent)
        self._lock = threading.Lock()
        self._regions = frozenset(self.opts.regions)
        self._servers = {}
        #: (tenant, region, server, Nova's action name) -> when last
        #: accepted (naive UTC), as Nova's instance actions record it.
        self._accepted_at = {}
        self._started_at = timeutils.utcnow()
        for tenant in self.opts.tenants:
            for region in self.opts.regions:
                for n in range(1, self.opts.servers_per_tenant + 1):
                    self._add(tenant, region, '%s-%s-%d' % (tenant, region, n),
                              'ACTIVE')
        for entry in self.opts.servers:
            parts = entry.split(':')
            if len(parts) not in (3, 4):
                raise exception.ConfigError(
                    '[%s] servers: %r is not tenant_id:region:server_id'
                    '[:STATUS]' % (agent, entry))
            self._add(*parts)
        self._tag(self.opts.tags)

    def _add(self, tenant, region, server_id, status='ACTIVE'):
        if region not in self._regions:
            raise exception.ConfigError(
                '[%s] servers: region %r of server %r is not in regions'
                % (self.agent, region, server_id))
        if status not in VM_STATE_BY_STATUS:
            raise exception.ConfigError(
                '[%s] servers: status %r of server %r is not one of %s'
                % (self.agent, status, server_id,
                   ', '.join(VM_STATE_BY_STATUS)))
        self._servers[tenant, region, server_id] = SimulatedServer(
            VM_STATE_BY_STATUS[status])

    def _tag(self, lines):
        tags = {}
        for line in lines:
            server_id, sep, names = line.partition('=')
            names = [n.strip() for n in names.split('/')]
            if not sep or not all(0 < len(n) <= 60 for n in names):
                raise exception.ConfigError(
                    '[%s] tags: %r is not server_id=tag[/tag...] (tags of '
                    '1 to 60 characters)' % (self.agent, line))
            tags.setdefault(server_id.strip(), set()).update(names)
        for (_, _, server_id), server in self._servers.items():
            server.tags = frozenset(tags.get(server_id, ()))

    def select(self, context, tenant_id, region, selector):
        """The tenant's servers in ``region`` that match, in ID order."""
        self._check_region(region)
        name = (name_match.NameMatcher(selector.name) if selector.name
                else None)
        now = time.monotonic()
        found = []
        with self._lock:
            for (tenant, where, server_id), server in sorted(
                    self._servers.items()):
                if (tenant, where) != (tenant_id, region):
                    continue
                server.settle(now)
                if (set(selector.tags) <= server.tags
                        and (not selector.tags_any
                             or server.tags & set(selector.tags_any))
                        and (name is None or name.search(server_id))
                        and selector.status in (None,
                                                server.state().status)):
                    found.append(server_id)
        return tuple(found)

    def show(self, context, target):
        self._check_region(target.region)
        now = time.monotonic()
        outcomes = []
        with self._lock:
            for server_id in target.servers:
                server = self._find(target, server_id)
                if server is None:
                    outcomes.append(_not_found(server_id))
                    continue
                server.settle(now)
                outcomes.append(base.Outcome(server_id, 200,
                                             state=server.state()))
        return outcomes

    def act(self, context, target, action):
        if not action.only_if_needed:
            return self.send(context, target, action)
        spared = [base.instead_of_sending(action, shown)
                  for shown in self.show(context, target)]
        todo = tuple(server for server, outcome
                     in zip(target.servers, spared) if outcome is None)
        sent = iter(self.send(context, dataclasses.replace(
            target, servers=todo), action) if todo else ())
        return [next(sent) if outcome is None else outcome
                for outcome in spared]

    def send(self, context, target, action):
        """Apply ``action`` to each server of ``target`` under Nova's rules.

        No extension: :meth:`act` reads the servers first for
        ``only_if_needed`` and sends only those that need it.
        """
        self._check_region(target.region)
        rule = RULES[action.name if action.name != base.REBOOT
                     else (action.name, action.reboot_type)]
        vm_states, task_states, task, final = rule
        now = time.monotonic()
        outcomes = []
        with self._lock:
            for server_id in target.servers:
                server = self._find(target, server_id)
                if server is None:
                    outcomes.append(_not_found(server_id))
                    continue
                server.settle(now)
                if server.vm_state not in vm_states:
                    outcomes.append(_conflict(server_id, action, 'vm_state',
                                              server.vm_state))
                elif server.task_state not in task_states:
                    outcomes.append(_conflict(server_id, action,
                                              'task_state',
                                              server.task_state))
                else:
                    server.task_state = task
                    server.final_vm_state = final
                    server.settle_at = now + self.opts.transition_delay
                    server.settle(now)
                    self._accepted_at[target.tenant_id, target.region,
                                      server_id, NOVA_VERB[action.name]] = \
                        timeutils.utcnow()
                    outcomes.append(base.Outcome(server_id, 202,
                                                 'accepted'))
        return outcomes

    def received(self, context, target, action, since):
        """From this process's record of accepted actions.

        Not known (None) when ``since`` is before this backend was built:
        what a previous process accepted is gone with it.
        """
        self._check_region(target.region)
        if since < self._started_at:
            return dict.fromkeys(target.servers)
        verb = NOVA_VERB[action.name]
        with self._lock:
            last = {server: self._accepted_at.get(
                (target.tenant_id, target.region, server, verb))
                for server in target.servers}
        return {server: at is not None and at >= since
                for server, at in last.items()}

    def _find(self, target, server_id):
        return self._servers.get((target.tenant_id, target.region,
                                  server_id))

    def _check_region(self, region):
        if region not in self._regions:
            raise exception.UnknownRegion(region, self._regions)


def _not_found(server_id):
    return base.Outcome(server_id, 404,
                        'Instance %s could not be found.' % server_id)


def _conflict(server_id, action, attr, state):
    return base.Outcome(
        server_id, 409, "Cannot '%s' instance %s while it is in %s %s"
        % (NOVA_VERB[action.name], server_id, attr, state))
