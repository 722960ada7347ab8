"""Nova's instance actions: was a call of a crashed engine received?

The companion of :mod:`vmact.backends.nova` (which stays within its size
limit) for the jobs' reconcile. Nova records an instance action (``start``,
``stop``, ``reboot``) with its ``start_time``, the acting ``user_id`` and
its ``request_id`` whenever its API accepts one; a refused call (409, ...)
records none. So a call marked ``sending`` at ``since`` was received when
the server's actions (``GET /servers/{id}/os-instance-actions``) show one
of the same kind by the same user that started at or after ``since``;
not received when they show none; not known when they cannot be read.
"""

from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from oslo_log import log as logging
from oslo_utils import timeutils

from vmact.backends import base
from vmact.backends import http
from vmact import exception

LOG = logging.getLogger(__name__)

#: vmact's action -> the name of Nova's instance action it records.
NOVA_ACTIONS = {base.START: 'start', base.STOP: 'stop',
                base.REBOOT: 'reboot'}

#: A failed read: Nova's or Keystone's error, or an answer not understood.
_UNREADABLE = (nova_exc.ClientException, ks_exc.ClientException, KeyError,
               TypeError, ValueError, AttributeError)


def received(backend, context, target, action, since):
    """:meth:`vmact.backends.base.Backend.received` for a NovaBackend.

    One instance-action read per distinct server (its Nova key), through
    the agent's fan-out under its request deadline. The user compared is
    the one the credentials act as (the trustor for a trust, the service
    user in service mode), as Nova records it.
    """
    from vmact.backends import nova
    call = backend._call(context, target)
    user_id = acting_user(call.nova)
    keys = {server: nova.nova_key(server) for server in target.servers}
    distinct = tuple(dict.fromkeys(keys.values()))

    def read(key):
        if key.lower() in nova.NOVA_ROUTE_WORDS:
            return False
        with http.deadline_scope(call.deadline):
            return received_one(call.nova, key, action, since, user_id)

    found = dict(zip(distinct, backend.fanout.run(
        read, distinct, call.deadline,
        backend.opts.max_concurrency_per_request, lambda key: None,
        context)))
    return {server: found[key] for server, key in keys.items()}


def received_one(nova, server_id, action, since, user_id=None):
    """True, False or None (not known) for one server; never raises."""
    try:
        actions = nova.instance_action.list(server_id)
    except nova_exc.NotFound:
        return False
    except _UNREADABLE as e:
        LOG.warning('Server %s: its instance actions could not be read '
                    '(%s: %s)', server_id, type(e).__name__,
                    exception.quote(str(e), 200))
        return None
    return decide(actions, NOVA_ACTIONS[action.name], since, user_id)


def decide(actions, name, since, user_id=None):
    """The rule, on Nova's instance actions (objects or dicts)."""
    unknown = False
    for entry in actions:
        fields = entry if isinstance(entry, dict) else entry.to_dict()
        if fields.get('action') != name:
            continue
        if user_id and fields.get('user_id') != user_id:
            continue
        try:
            started = timeutils.normalize_time(
                timeutils.parse_isotime(fields['start_time']))
        except (KeyError, TypeError, ValueError):
            unknown = True
            continue
        if started >= since:
            return True
    return None if unknown else False


def acting_user(nova):
    """The user id the client's credentials act as, or None."""
    try:
        return nova.client.get_user_id()
    except Exception as e:
        LOG.warning('The acting user could not be found (%s); instance '
                    'actions of any user count', type(e).__name__)
        return None


def request_id_of(result):
    """Nova's x-openstack-request-id of a novaclient call's result."""
    ids = getattr(result, 'request_ids', None)
    return ids[0] if ids else None


def refused(server_id, code, error):
    """The outcome of a call Nova refused with ``error`` (mapped ``code``).

    Only Nova's rate and over-limit refusals (429, 413 mapped to 429) are
    known not to have been accepted: they carry Nova's Retry-After (None
    when it sent none).
    """
    retry_after = None
    if code == 429:
        retry_after = float(getattr(error, 'retry_after', 0) or 0) or None
    return base.Outcome(server_id, code, error.message,
                        retry_after=retry_after)
