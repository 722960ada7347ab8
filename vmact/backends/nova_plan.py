"""A dry run for the nova backend: Nova's own state rules, nothing sent.

Each server is read once (``GET /servers/{id}``, at microversion 2.9 or
the agent's own when higher, so that Nova shows ``locked``), with the
ownership check of a real call, through the agent's fan-out under its
request deadline. The plan follows what a real call meets, in order:
vmact's ``only_if_needed`` read (skip, 200 "already ..."), Nova's
``check_instance_lock`` (409 "Instance <id> is locked" unless the caller
is admin: Nova's ``context_is_admin``, the role ``admin``), then its
``check_instance_state`` tables on ``OS-EXT-STS:vm_state`` and
``OS-EXT-STS:task_state`` (:mod:`vmact.backends.plan`). Not planned:
Nova's policy on the action itself (a reader's 403) and its host check
(a server never scheduled: 409 "not ready").
"""

import threading

from vmact.backends import base
from vmact.backends import nova_select
from vmact.backends import plan as plan_rules

#: The first microversion in which Nova shows ``locked``.
LOCKED_MICROVERSION = '2.9'
ADMIN_ROLE = 'admin'

#: Re-exported for :class:`vmact.backends.nova.NovaBackend`.
select = nova_select.select


def plan(backend, context, target, action):
    """:meth:`vmact.backends.base.Backend.plan` for a NovaBackend."""
    from vmact.backends import nova
    raw, lock = {}, threading.Lock()

    def read(call, server_id):
        nova_select.at_least(call.nova, LOCKED_MICROVERSION)
        server = call.nova.servers.get(server_id)
        shown_id = getattr(server, 'id', None)
        if not isinstance(shown_id, str) or \
                nova.nova_key(shown_id) != nova.nova_key(server_id) or (
                    call.check_owner and
                    getattr(server, 'tenant_id', None) != call.tenant_id):
            return nova._not_found(server_id)
        with lock:
            raw[server_id] = (getattr(server, 'OS-EXT-STS:vm_state', None),
                              bool(getattr(server, 'locked', False)))
        return base.Outcome(server_id, 200, state=nova._state_of(server))

    shown = backend._per_server(context, target, read)
    admin = is_admin(backend, context)
    plans = []
    for outcome in shown:
        if not outcome.ok:
            plans.append(plan_rules.Plan(outcome.server, plan_rules.FAIL,
                                         outcome.code, outcome.msg))
        elif outcome.same_as:
            plans.append(plan_rules.Plan(
                outcome.server, plan_rules.SKIP, 200, outcome.msg,
                outcome.state.status, outcome.state.task_state))
        else:
            vm_state, locked = raw[nova.nova_key(outcome.server)]
            plans.append(plan_rules.decide(
                action, outcome.server, outcome.state.status,
                outcome.state.task_state, vm_state, locked and not admin))
    return plans


def is_admin(backend, context):
    """Whether Nova sees the acting credentials as admin (role admin)."""
    if backend.service_auth is None:
        roles = context.roles
    else:
        roles = backend.service_auth.get_access(backend.session).role_names
    return any(role.lower() == ADMIN_ROLE for role in roles or ())
