"""A dry run's state rules: what an action would get, from a state read.

Nova's own rules (``nova/compute/api.py``'s ``check_instance_state`` on
``start``, ``stop``, ``_soft_reboot`` and ``_hard_reboot``), applied to
the status and task_state of a :class:`~vmact.backends.base.ServerState`
by any backend that shows Nova's vocabulary. Nova checks the vm_state
first, then the task_state; its 409 names the first that fails:
"Cannot 'start' instance <id> while it is in vm_state active". A status
that a task gives (REBOOT, HARD_REBOOT, ...) stands for vm_state active.
doc/source/api-rules.rst, "Dry run".
"""

import dataclasses
import typing

ACT = 'act'
SKIP = 'skip'
FAIL = 'fail'

#: Nova's vm_state behind each status it shows.
VM_STATE_BY_STATUS = {
    'ACTIVE': 'active', 'SHUTOFF': 'stopped', 'PAUSED': 'paused',
    'SUSPENDED': 'suspended', 'ERROR': 'error', 'BUILD': 'building',
    'RESCUE': 'rescued', 'VERIFY_RESIZE': 'resized',
    'SHELVED': 'shelved', 'SHELVED_OFFLOADED': 'shelved_offloaded',
    'SOFT_DELETED': 'soft-delete', 'DELETED': 'deleted',
}
DEFAULT_VM_STATE = 'active'

#: Nova's task_states.ALLOW_REBOOT: the tasks a HARD reboot may cut.
ALLOW_REBOOT = (None, 'rebooting', 'reboot_pending', 'reboot_started',
                'resuming', 'rebooting_hard', 'unpausing', 'pausing',
                'suspending')

#: (action, reboot type) -> (Nova's verb, allowed vm_states, task_states).
RULES = {
    ('os-start', None): ('start', ('stopped',), (None,)),
    ('os-stop', None): ('stop', ('active', 'error'), (None,)),
    ('reboot', 'SOFT'): ('reboot', ('active',), (None,)),
    ('reboot', 'HARD'): ('reboot', ('active', 'stopped', 'paused',
                                    'suspended', 'error'), ALLOW_REBOOT),
}


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one server would get: ``act`` (202), ``skip`` (200), ``fail``."""

    server: str
    plan: str
    code: int
    msg: str = ''
    status: typing.Optional[str] = None
    task_state: typing.Optional[str] = None

    def as_dict(self):
        return {'id': self.server, 'status': self.status,
                'task_state': self.task_state, 'plan': self.plan,
                'code': self.code, 'msg': self.msg}


def rule_of(action):
    """Nova's (verb, vm_states, task_states) for ``action``.

    SOFT_FIRST plans as HARD: a SOFT reboot refused for the state
    escalates at once.
    """
    kind = 'HARD' if action.reboot_type == 'SOFT_FIRST' else \
        action.reboot_type
    return RULES[action.name, kind]


def generic(action, shown):
    """The plan of ``action`` for a server read as ``shown`` (an Outcome).

    A failed read is the plan's failure as it is (404 for a missing or
    foreign server); the vm_state is inferred from the status.
    """
    if not shown.ok:
        return Plan(shown.server, FAIL, shown.code, shown.msg)
    state = shown.state
    return decide(action, shown.server, state.status, state.task_state,
                  VM_STATE_BY_STATUS.get(state.status, DEFAULT_VM_STATE))


def decide(action, server, status, task_state, vm_state, locked=False):
    """The plan from a server's Nova state, checked in the real order.

    ``only_if_needed`` (vmact, before sending), the lock, the vm_state,
    the task_state (Nova).

    :param locked: True when Nova would refuse for the lock (a locked
        server and a caller who is not admin).
    """
    def fail(msg):
        return Plan(server, FAIL, 409, msg, status, task_state)

    target = {'os-start': 'ACTIVE', 'os-stop': 'SHUTOFF'}.get(action.name)
    if action.only_if_needed and status == target and not task_state:
        return Plan(server, SKIP, 200, 'already %s' % status, status,
                    task_state)
    if locked:
        return fail('Instance %s is locked' % server)
    verb, vm_states, task_states = rule_of(action)
    if vm_state not in vm_states:
        return fail("Cannot '%s' instance %s while it is in vm_state %s"
                    % (verb, server, vm_state))
    if task_state not in task_states:
        return fail("Cannot '%s' instance %s while it is in task_state %s"
                    % (verb, server, task_state))
    return Plan(server, ACT, 202, 'would be sent', status, task_state)
