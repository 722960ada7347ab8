"""The ``nova`` backend: server power actions through python-novaclient.

Auth modes (``auth_mode``): ``token`` acts as the caller, with the
keystoneauth plugin keystonemiddleware built for the validated token
(``context.auth_plugin``) and the compute endpoint of its catalog;
``service`` acts with the section's credentials (any ``auth_type``), one
token per agent, reused until it nears expiry. The endpoint is given to
novaclient as ``endpoint_override``, the microversion is explicit.

Ownership: whenever the credentials could reach servers outside
``target.tenant_id`` (service mode; a token scoped to another project or
to none; a token holding one of ``cross_project_roles``), each server is
read first and acted on only if its ``tenant_id`` is the request's; a
foreign server is reported like a missing one, in Nova's words, and never
posted to. The same read serves ``only_if_needed``.

Server IDs as Nova reads them: a word of Nova's routes (``detail``) is
never sent, a 404 like any unknown server, as is a read answered with
another server; the letter-case spellings of a UUID are one server
(:func:`nova_key`), sent once, in lower case; an unreadable answer is a
502 and one WARNING line.

Calls go through the agent's :class:`~vmact.backends.fanout.FanOut` and
:func:`~vmact.backends.http.agent_session`, never resent (a 401 from Nova
drops the agent's token in service mode); cost: ``tools/bench/README.rst``.
:mod:`~vmact.backends.nova_actions` reads Nova's request ids and actions.
"""

import collections
import dataclasses
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
from oslo_log import log as logging
from oslo_utils import uuidutils

from vmact.backends import base
from vmact.backends import fanout
from vmact.backends import http
from vmact.backends import nova_actions
from vmact.backends import nova_plan
from vmact.conf import nova as nova_conf
from vmact import exception

LOG = logging.getLogger(__name__)

#: Nova's power_state numbers, named as Nova's API shows them.
POWER_STATES = {0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown',
                6: 'crashed', 7: 'suspended'}

#: Nova statuses kept as they are; other 4xx become 400, 5xx become 502.
#: Nova's 413 is its OverLimit (rate or quota limit), not a body size.
_KEPT_STATUSES = {401: 401, 403: 403, 404: 404, 409: 409, 413: 429, 429: 429}

#: What novaclient raises when Nova's answer is not the JSON it expects
#: (a proxy's page, a body without ``server``): Nova's fault, a 502.
_UNREADABLE_ANSWER = (KeyError, TypeError, ValueError, AttributeError)

#: Words Nova routes under ``/servers/`` as themselves (its routes.py
#: matches ``/servers/detail`` before ``/servers/{id}``; other routes have
#: the ID second). Any letter case: no Nova server ID is such a word.
NOVA_ROUTE_WORDS = frozenset(['detail'])


def nova_key(server_id):
    """``server_id`` as sent to Nova: one key per server it can reach.

    Nova looks up only UUID-like IDs (``uuidutils.is_uuid_like``) and
    compares them with the lower-case UUIDs it stores as strings:
    case-insensitively on MySQL, hyphens exactly. So the letter-case
    spellings of a UUID share its lower-case key, which every database
    finds; any other ID is its own key.
    """
    lowered = server_id.lower()
    if lowered != server_id and uuidutils.is_uuid_like(server_id):
        return lowered
    return server_id


def _not_found(server_id):
    """The outcome Nova gives an unknown server, in Nova's words."""
    return base.Outcome(server_id, 404,
                        'Instance %s could not be found.' % server_id)


#: What the servers of one request share, computed once per request.
_Call = collections.namedtuple('_Call', 'nova tenant_id check_owner deadline')


class NovaBackend(base.Backend):
    """Start, stop, reboot and read Nova servers for one agent."""

    acts_as_caller = property(lambda self: self.service_auth is None)
    received = nova_actions.received
    select, plan = nova_plan.select, nova_plan.plan
    server_key = staticmethod(nova_key)

    @classmethod
    def list_opts(cls):
        return nova_conf.list_opts()

    def __init__(self, conf, agent):
        super().__init__(conf, agent)
        self.service_auth = None
        if self.opts.auth_mode == nova_conf.SERVICE:
            self.service_auth = self._load_service_auth()
        self.session = http.agent_session(self.opts, self.opts.max_concurrency)
        self.http = self.session.session
        self.fanout = fanout.FanOut(self.opts.max_concurrency,
                                    'vmact-nova-%s' % agent)

    def _load_service_auth(self):
        try:
            ks_loading.register_auth_conf_options(self.conf, self.agent)
            auth = ks_loading.load_auth_from_conf_options(self.conf,
                                                          self.agent)
        except (ks_exc.NoMatchingPlugin, ks_exc.MissingRequiredOptions) as e:
            raise exception.ConfigError(
                '[%s] auth_mode = service: %s' % (self.agent, e))
        if auth is None:
            raise exception.ConfigError(
                '[%s] auth_mode = service needs auth_type and its options'
                % self.agent)
        return auth

    def show(self, context, target):
        return self._per_server(context, target, self._read)

    def act(self, context, target, action):
        return self._per_server(context, target, lambda call, server:
                                self._act_on(call, server, action))

    def _per_server(self, context, target, work):
        """``work(call, key)`` once per server; one outcome per ID.

        Each server is sent as its :func:`nova_key`, once; the outcome is
        named as the client first spelt it, other spellings get a copy.
        """
        first = {}
        for server in target.servers:
            first.setdefault(nova_key(server), server)
        distinct, call = tuple(first), self._call(context, target)
        outcomes = self.fanout.run(
            lambda key: self._one(call, key, work), distinct, call.deadline,
            self.opts.max_concurrency_per_request, self._not_sent, context)
        if distinct == target.servers:
            return outcomes
        named = {key: dataclasses.replace(outcome, server=first[key])
                 for key, outcome in zip(first, outcomes)}
        result = []
        for server in target.servers:
            outcome = named[nova_key(server)]
            result.append(outcome if outcome.server == server
                          else outcome.for_other_id(server))
        return result

    def _one(self, call, server_id, work):
        """``work`` for one server, its failure mapped to its outcome."""
        if server_id.lower() in NOVA_ROUTE_WORDS:
            LOG.debug('Server ID %s is a word of Nova\'s routes: not sent, '
                      'reported as not found', server_id)
            return _not_found(server_id)
        with http.deadline_scope(call.deadline):
            try:
                return work(call, server_id)
            except (nova_exc.ClientException, ks_exc.ClientException) as e:
                return self._failed(server_id, e)
            except _UNREADABLE_ANSWER as e:
                LOG.warning('Server %s: Nova\'s answer could not be read '
                            '(%s: %s); reported as 502', server_id,
                            type(e).__name__, exception.quote(str(e)))
                LOG.debug('Server %s: reading Nova\'s answer failed',
                          server_id, exc_info=True)
                return base.Outcome(server_id, 502, 'Nova\'s answer could '
                                    'not be read (%s)' % type(e).__name__)
            except Exception:
                LOG.exception('Unexpected error on server %s', server_id)
                return base.Outcome(server_id, 500,
                                    'Internal error; see the service log')

    def _read(self, call, server_id):
        server = call.nova.servers.get(server_id)
        shown_id = getattr(server, 'id', None)
        if not isinstance(shown_id, str) or \
                nova_key(shown_id) != nova_key(server_id):
            LOG.warning('Nova answered the read of server %s with server '
                        '%s: reported as not found', server_id,
                        exception.quote(shown_id))
            return _not_found(server_id)
        if call.check_owner and \
                getattr(server, 'tenant_id', None) != call.tenant_id:
            LOG.debug('Server %s is not in tenant %s: reported as not '
                      'found', server_id, call.tenant_id)
            return _not_found(server_id)
        return base.Outcome(server_id, 200, state=_state_of(server))

    def _act_on(self, call, server_id, action):
        if call.check_owner or action.only_if_needed:
            spared = base.instead_of_sending(action,
                                             self._read(call, server_id))
            if spared is not None:
                return spared
            if time.monotonic() >= call.deadline:
                return self._not_sent(server_id)
        if action.name == base.REBOOT:
            sent = call.nova.servers.reboot(
                server_id, reboot_type=action.reboot_type or base.SOFT)
        else:  # servers.start or servers.stop
            sent = getattr(call.nova.servers, nova_actions.NOVA_ACTIONS[
                action.name])(server_id)
        return base.Outcome(server_id, 202, backend_request_id=nova_actions
                            .request_id_of(sent))

    def _not_sent(self, server_id):
        return base.Outcome(server_id, 504, 'Not sent: the request deadline of'
                            ' %gs passed first' % self.opts.request_deadline)

    def _failed(self, server_id, error):
        """Map a Nova or transport error to the server's Outcome."""
        if isinstance(error, nova_exc.ClientException):
            code = error.code if isinstance(error.code, int) else 502
            if code == 401 and self.service_auth is not None:
                self.service_auth.invalidate()
            mapped = _KEPT_STATUSES.get(code, 400 if code < 500 else 502)
            return nova_actions.refused(server_id, mapped, error)
        if isinstance(error, ks_exc.ConnectTimeout):
            return base.Outcome(server_id, 504, 'Nova timed out: %s' % error)
        if isinstance(error, ks_exc.ConnectionError):
            return base.Outcome(server_id, 503,
                                'Nova could not be reached: %s' % error)
        return base.Outcome(server_id, 502, 'The identity service failed: '
                            '%s' % type(error).__name__)

    # Credentials and endpoints, once per request.

    def _call(self, context, target):
        """The request's novaclient, ownership check and deadline."""
        deadline = time.monotonic() + self.opts.request_deadline
        check_owner = self._must_check_owner(context, target)
        auth = self._auth_for(context)
        with http.deadline_scope(deadline):
            endpoint = self._compute_endpoint(auth, target.region)
        LOG.debug('Agent %s: tenant %s in %s via %s, auth mode %s, '
                  'ownership check %s', self.agent, target.tenant_id,
                  target.region, endpoint, self.opts.auth_mode,
                  'on' if check_owner else 'off')
        nova = nova_client.Client(
            self.opts.microversion, session=self.session, auth=auth,
            endpoint_override=endpoint.replace('%', '%%'),
            endpoint_type=self.opts.interface, region_name=target.region,
            global_request_id=context.request_id, connect_retries=0,
            status_code_retries=0)
        return _Call(nova, target.tenant_id, check_owner, deadline)

    def _must_check_owner(self, context, target):
        if self.service_auth is not None or \
                context.project_id != target.tenant_id:
            return True
        cross = {r.lower() for r in self.opts.cross_project_roles}
        return any(r.lower() in cross for r in context.roles)

    def _auth_for(self, context):
        if self.service_auth is not None:
            return self.service_auth
        if context.auth_plugin is None:
            raise exception.Unauthorized(
                'The request you have made requires authentication.')
        return context.auth_plugin

    def _compute_endpoint(self, auth, region):
        try:
            access = auth.get_access(self.session)
        except ks_exc.ConnectTimeout:
            raise exception.BackendTimeout(
                'The identity service of agent %s timed out' % self.agent)
        except ks_exc.ConnectionError:
            raise exception.BackendUnavailable(
                'The identity service of agent %s could not be reached'
                % self.agent)
        except ks_exc.ClientException as e:
            raise exception.BackendError(
                'Agent %s could not authenticate to its identity service: '
                '%s' % (self.agent, type(e).__name__))
        # The token's raw catalog: get_endpoints_data deep-copies it.
        found = [(point.get('region_id') or point.get('region'), point['url'])
                 for service in access.service_catalog.catalog
                 if service.get('type') == 'compute'
                 for point in service.get('endpoints', ())
                 if point.get('interface') == self.opts.interface and
                 point.get('url')]
        for name, url in found:
            if name == region:
                return url
        raise exception.UnknownRegion(region, {n for n, _ in found if n})


def _state_of(server):
    power = getattr(server, 'OS-EXT-STS:power_state', None)
    return base.ServerState(
        server.status, getattr(server, 'OS-EXT-STS:task_state', None),
        power if power is None else POWER_STATES.get(power, str(power)))
