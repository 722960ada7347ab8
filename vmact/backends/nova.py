"""The ``nova`` backend: server power actions through python-novaclient.

Auth modes (``auth_mode`` in the agent's section):

``token``
    Act as the caller. The keystoneauth plugin keystonemiddleware built for
    the validated token (``context.auth_plugin``) is passed per call on the
    agent's one shared Session; the compute endpoint comes from that token's
    own catalog. Cost per request: **one Nova call per server** (its
    ``POST /servers/{id}/action``), **no Keystone call** and no version
    discovery (the endpoint is given to novaclient as ``endpoint_override``
    and the microversion is explicit).

``service``
    Act with the section's credentials (any keystoneauth ``auth_type``).
    One plugin and one Session per agent: the token is fetched once and
    reused until it nears expiry, then refreshed by keystoneauth. Cost per
    request: **two Nova calls per server** (the ownership read, then the
    action), plus one Keystone authentication only when the agent holds no
    valid token (its first request, then about once per token lifetime;
    ``password`` also does one version discovery ``GET`` of ``auth_url``
    then, ``v3password`` and ``v3applicationcredential`` do not).

Ownership check: whenever the credentials could reach servers outside
``target.tenant_id`` (service mode; a token scoped to another project or to
none; a token holding one of ``cross_project_roles``), each server is read
with ``GET /servers/{id}`` first and acted on only if its ``tenant_id`` is
the request's; a foreign server is reported exactly like a missing one,
with Nova's own "not found" text, and never posted to. That is one extra
Nova call per server, made concurrently in the same worker as the action,
and it is the cheapest check that is correct for any credential: a list
call filtered by project needs admin rights, pages, and grows with the
tenant rather than with the request. The same read serves
``only_if_needed`` (no further call) and the status read.

Server IDs as Nova reads them: an ID that Nova routes as a word of its
own (``detail``: ``GET /servers/detail`` is Nova's server list) is never
sent and is a 404 like any unknown server; a read must answer with the
server asked for, compared as Nova compares IDs, else it is a 404 too.
A UUID names one server in any letter case (Nova on MySQL finds it so):
it is sent in lower case, as Nova stores it, so the server is found
whatever Nova's database, and once per request. The first spelling gets
the outcome; each other spelling of the same UUID gets no call of its
own and is reported with that outcome as ``Same server as <first>``, an
accepted action as 200 rather than 202 (sent once, audited once). An
answer the driver cannot read is a 502 and one WARNING line, never a 500.

Fan-out: servers are handled concurrently in a thread pool shared by the
agent (``max_concurrency`` calls per process), at most
``max_concurrency_per_request`` at a time for one request, over an HTTP
pool that keeps ``max_concurrency`` connections per host; a one-server
request makes its call in its own thread, under the same per-process
bound. Proxy and CA-bundle variables are read from the environment once
per host rather than on every call (``.netrc`` is never used). Every
call has a connect and a read timeout, both cut to what is left of the
request's ``request_deadline``; a server not yet sent when the deadline
passes gets a 504 and is never sent. Nothing is retried: keystoneauth's
connect and status retries are 0, urllib3 does no retries, and a 401 from
Nova does not resend the call (in service mode it drops the agent's token
so the next call authenticates afresh).
"""

import collections
from concurrent import futures
import contextlib
import dataclasses
import os
import threading
import time
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc
from oslo_log import log as logging
from oslo_utils import uuidutils
import requests

from vmact.backends import base
from vmact.conf import nova as nova_conf
from vmact import exception

LOG = logging.getLogger(__name__)

#: Nova's power_state numbers, named as Nova's API shows them.
POWER_STATES = {0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown',
                6: 'crashed', 7: 'suspended'}

#: Nova statuses kept as they are; other 4xx become 400, 5xx become 502.
#: Nova's 413 is its OverLimit (rate or quota limit), not a body size.
_KEPT_STATUSES = {401: 401, 403: 403, 404: 404, 409: 409, 413: 429,
                  429: 429}

#: Distinct hosts (Nova regions, Keystone) whose connections are pooled.
_HOST_POOLS = 16

#: What novaclient raises when Nova's answer is not the JSON it expects
#: (a proxy's page, a body without ``server``): Nova's fault, a 502.
_UNREADABLE_ANSWER = (KeyError, TypeError, ValueError, AttributeError)

#: Words Nova routes under ``/servers/`` as themselves, not as a server
#: ID (``nova/api/openstack/compute/routes.py``: ``/servers/detail`` is
#: matched before ``/servers/{id}``; every other ``/servers/...`` route
#: has the server ID second). Matched in any letter case, as no Nova
#: server ID is such a word.
NOVA_ROUTE_WORDS = frozenset(['detail'])


def nova_key(server_id):
    """``server_id`` as sent to Nova: one key per server it can reach.

    Nova looks up only UUID-like IDs (``uuidutils.is_uuid_like``: 32 hex
    digits, any letter case, hyphens anywhere) and compares them with the
    UUIDs it stores, in lower case, as strings: case-insensitively on
    MySQL (its default collation), hyphens exactly. So the letter-case
    spellings of a UUID share its lower-case key, which every database
    finds; any other ID is its own key.
    """
    if uuidutils.is_uuid_like(server_id):
        return server_id.lower()
    return server_id


def _not_found(server_id):
    """The outcome Nova gives an unknown server, in Nova's words."""
    return base.Outcome(server_id, 404,
                        'Instance %s could not be found.' % server_id)


def _same_server(outcome, spelling):
    """The outcome of ``spelling``, another spelling of outcome's server.

    Nothing was sent for it: an accepted action (202) is reported as 200,
    any other outcome as it is, with the first spelling named.
    """
    msg = 'Same server as %s' % outcome.server
    if outcome.msg:
        msg = '%s: %s' % (msg, outcome.msg)
    code = 200 if outcome.code == 202 else outcome.code
    return base.Outcome(spelling, code, msg, outcome.state)


_request_deadline = threading.local()


@contextlib.contextmanager
def _deadline_scope(deadline):
    """Bound every HTTP call this thread makes meanwhile by ``deadline``."""
    previous = getattr(_request_deadline, 'at', None)
    _request_deadline.at = deadline
    try:
        yield
    finally:
        _request_deadline.at = previous


class _DeadlinePassed(Exception):
    """The request's deadline passed before a call was sent."""


def _check_deadline():
    at = getattr(_request_deadline, 'at', None)
    if at is not None and time.monotonic() >= at:
        raise _DeadlinePassed()


class PooledHTTPSession(requests.Session):
    """A requests Session with a wide pool and deadline-bound timeouts.

    Mounted into the agent's keystoneauth Session, it holds the connection
    pool every request of the agent shares.
    """

    def __init__(self, pool_size, connect_timeout, read_timeout,
                 tls_ciphers=None, tls_min_version=None):
        super().__init__()
        # With trust_env, requests scans os.environ for proxy and CA
        # bundle variables and stats ~/.netrc on every call: a fifth of
        # a call's CPU time. Do the same once per host instead (netrc,
        # which could add a Basic Authorization header, is never wanted).
        self.trust_env = False
        self._env_proxies = {}
        self._env_ca_bundle = (
            os.environ.get('REQUESTS_CA_BUNDLE')
            or os.environ.get('CURL_CA_BUNDLE'))
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.pool_size = pool_size
        adapter = ks_session.TCPKeepAliveAdapter(
            pool_connections=_HOST_POOLS, pool_maxsize=pool_size,
            max_retries=0, tls_ciphers=tls_ciphers,
            tls_min_version=tls_min_version)
        for scheme in ('https://', 'http://'):
            self.mount(scheme, adapter)

    def request(self, method, url, **kwargs):
        if kwargs.get('timeout') is None:
            kwargs['timeout'] = self.call_timeout()
        if kwargs.get('proxies') is None:
            kwargs['proxies'] = self._proxies_for(url)
        if kwargs.get('verify') is True and self._env_ca_bundle:
            kwargs['verify'] = self._env_ca_bundle
        return super().request(method, url, **kwargs)

    def _proxies_for(self, url):
        """The environment's proxies for url's host, honouring no_proxy."""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        proxies = self._env_proxies.get(key)
        if proxies is None:
            proxies = requests.utils.get_environ_proxies(url)
            self._env_proxies[key] = proxies
        return proxies

    def call_timeout(self):
        """(connect, read) timeouts, cut to the request's time left."""
        at = getattr(_request_deadline, 'at', None)
        if at is None:
            return (self.connect_timeout, self.read_timeout)
        left = at - time.monotonic()
        if left <= 0:
            raise requests.exceptions.ConnectTimeout(
                'the request deadline passed before this call')
        return (min(self.connect_timeout, left), min(self.read_timeout, left))


class SendOnceSession(ks_session.Session):
    """A keystoneauth Session that never sends a call a second time.

    keystoneauth answers a 401 by invalidating the plugin and sending the
    call again (even with the caller's own token, which cannot renew);
    Nova may have logged or acted on the first one, so that is off.
    """

    def request(self, url, method, **kwargs):
        kwargs['allow_reauth'] = False
        return super().request(url, method, **kwargs)


class NovaBackend(base.Backend):
    """Start, stop, reboot and read Nova servers for one agent."""

    @classmethod
    def list_opts(cls):
        return nova_conf.list_opts()

    def __init__(self, conf, agent):
        super().__init__(conf, agent)
        self.service_auth = None
        if self.opts.auth_mode == nova_conf.SERVICE:
            self.service_auth = self._load_service_auth()
        self.http = PooledHTTPSession(
            self.opts.max_concurrency, self.opts.connect_timeout,
            self.opts.read_timeout, tls_ciphers=self.opts.tls_ciphers,
            tls_min_version=self.opts.tls_min_version)
        self.session = SendOnceSession(
            session=self.http, verify=_verify(self.opts),
            cert=_client_cert(self.opts),
            collect_timing=self.opts.collect_timing,
            split_loggers=self.opts.split_loggers, connect_retries=0,
            app_name='vmact')
        self.pool = futures.ThreadPoolExecutor(
            max_workers=self.opts.max_concurrency,
            thread_name_prefix='vmact-nova-%s' % agent)
        # Calls in flight, all requests together: pool workers and the
        # request threads that call inline for a one-server request.
        self.slots = threading.BoundedSemaphore(self.opts.max_concurrency)

    def _load_service_auth(self):
        try:
            ks_loading.register_auth_conf_options(self.conf, self.agent)
            auth = ks_loading.load_auth_from_conf_options(self.conf,
                                                          self.agent)
        except (ks_exc.NoMatchingPlugin,
                ks_exc.MissingRequiredOptions) as e:
            raise exception.ConfigError(
                '[%s] auth_mode = service: %s' % (self.agent, e))
        if auth is None:
            raise exception.ConfigError(
                '[%s] auth_mode = service needs auth_type and its options'
                % self.agent)
        return auth

    # The interface.

    def show(self, context, target):
        return self._once_per_server(target, lambda distinct: self._show(
            context, distinct))

    def send(self, context, target, action, verified=frozenset()):
        return self._once_per_server(target, lambda distinct: self._send(
            context, distinct, action, verified))

    def act(self, context, target, action):
        """Like Backend.act, but one read per server serves both needs.

        The ownership read already gives the state ``only_if_needed``
        needs, and each server goes from read to action in its own worker.
        """
        return self._once_per_server(target, lambda distinct: self._act(
            context, distinct, action))

    def _once_per_server(self, target, run):
        """``run`` for each server once, named by its :func:`nova_key`.

        :returns: one outcome per ID of ``target``, in its order, under
            the ID as the client spelt it (see :func:`_same_server`).
        """
        first = {}
        for server in target.servers:
            first.setdefault(nova_key(server), server)
        if tuple(first) == target.servers:
            return run(target)
        outcomes = {o.server: o for o in run(dataclasses.replace(
            target, servers=tuple(first)))}
        result = []
        for server in target.servers:
            key = nova_key(server)
            outcome = dataclasses.replace(outcomes[key], server=first[key])
            if server != first[key]:
                outcome = _same_server(outcome, server)
            result.append(outcome)
        return result

    def _show(self, context, target):
        check_owner = self._must_check_owner(context, target)
        return self._for_each_server(
            context, target,
            lambda nova, server: self._read(nova, target, server,
                                            check_owner))

    def _send(self, context, target, action, verified):
        check_owner = self._must_check_owner(context, target)
        verified = {nova_key(server) for server in verified}
        return self._for_each_server(
            context, target,
            lambda nova, server: self._act_on(
                nova, target, action, server,
                read_first=check_owner and server not in verified,
                check_owner=check_owner))

    def _act(self, context, target, action):
        check_owner = self._must_check_owner(context, target)
        read_first = check_owner or action.only_if_needed
        outcomes = {o.server: o for o in self._for_each_server(
            context, target,
            lambda nova, server: self._act_on(
                nova, target, action, server, read_first=read_first,
                check_owner=check_owner))}
        return self.follow(context, target, action, outcomes)

    # One server.

    def _read(self, nova, target, server_id, check_owner):
        _check_deadline()
        server = nova.servers.get(server_id)
        shown_id = getattr(server, 'id', None)
        if not isinstance(shown_id, str) or \
                nova_key(shown_id) != nova_key(server_id):
            LOG.warning('Nova answered the read of server %s with server '
                        '%s: reported as not found', server_id,
                        exception.quote(shown_id))
            return _not_found(server_id)
        if check_owner and getattr(server, 'tenant_id', None) != \
                target.tenant_id:
            LOG.debug('Server %s is not in tenant %s: reported as not '
                      'found', server_id, target.tenant_id)
            return _not_found(server_id)
        return base.Outcome(server_id, 200, state=_state_of(server))

    def _act_on(self, nova, target, action, server_id, read_first,
                check_owner):
        if read_first:
            shown = self._read(nova, target, server_id, check_owner)
            if not shown.ok:
                return shown
            if action.only_if_needed and base.settled_in(
                    shown.state, action.target_status):
                return base.Outcome(server_id, 200,
                                    'already %s' % shown.state.status,
                                    shown.state)
        _check_deadline()
        if action.name == base.START:
            nova.servers.start(server_id)
        elif action.name == base.STOP:
            nova.servers.stop(server_id)
        else:
            nova.servers.reboot(server_id,
                                reboot_type=action.reboot_type or base.SOFT)
        return base.Outcome(server_id, 202)

    # The fan-out.

    def _for_each_server(self, context, target, work):
        """Run ``work(nova, server)`` for each server, concurrently."""
        deadline = time.monotonic() + self.opts.request_deadline
        with _deadline_scope(deadline):
            nova = self._nova(context, target)
        if len(target.servers) == 1:
            # No hand-off to the pool for one server: the request's own
            # thread makes the call (two thread switches fewer).
            server = target.servers[0]
            if not self.slots.acquire(
                    timeout=max(0, deadline - time.monotonic())):
                return [self._not_sent(server)]
            try:
                return [self._run(context, deadline, work, nova, server)]
            finally:
                self.slots.release()
        results = {}
        todo = collections.deque(target.servers)
        running = {}
        limit = self.opts.max_concurrency_per_request
        while todo or running:
            while todo and len(running) < limit and \
                    time.monotonic() < deadline:
                server = todo.popleft()
                running[self.pool.submit(self._run_in_slot, context,
                                         deadline, work, nova,
                                         server)] = server
            if not running:
                break
            done, _ = futures.wait(
                running, timeout=max(0, deadline - time.monotonic()),
                return_when=futures.FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                results[running.pop(future)] = future.result()
        for future, server in running.items():
            if future.cancel():
                results[server] = self._not_sent(server)
        for future in futures.as_completed(
                [f for f in running if not f.cancelled()]):
            results[running[future]] = future.result()
        for server in todo:
            results[server] = self._not_sent(server)
        unsent = sum(1 for o in results.values() if o.code == 504)
        if unsent:
            LOG.debug('%d server(s) timed out or were not sent before the '
                      'deadline of %gs', unsent, self.opts.request_deadline)
        return [results[s] for s in target.servers]

    def _run_in_slot(self, *args):
        with self.slots:
            return self._run(*args)

    def _run(self, context, deadline, work, nova, server):
        context.update_store()
        if server.lower() in NOVA_ROUTE_WORDS:
            LOG.debug('Server ID %s is a word of Nova\'s routes: not sent, '
                      'reported as not found', server)
            return _not_found(server)
        with _deadline_scope(deadline):
            try:
                return work(nova, server)
            except _DeadlinePassed:
                return self._not_sent(server)
            except (nova_exc.ClientException, ks_exc.ClientException) as e:
                return self._failed(server, e)
            except _UNREADABLE_ANSWER as e:
                # Nova's answer was not what novaclient or the driver
                # expects: the gateway's upstream failed, not vmact.
                LOG.warning('Server %s: Nova\'s answer could not be read '
                            '(%s: %s); reported as 502', server,
                            type(e).__name__, exception.quote(str(e)))
                LOG.debug('Server %s: reading Nova\'s answer failed',
                          server, exc_info=True)
                return base.Outcome(server, 502, 'Nova\'s answer could not '
                                    'be read (%s)' % type(e).__name__)
            except Exception:
                LOG.exception('Unexpected error on server %s', server)
                return base.Outcome(server, 500,
                                    'Internal error; see the service log')

    def _not_sent(self, server):
        return base.Outcome(server, 504, 'Not sent: the request deadline '
                            'of %gs passed first'
                            % self.opts.request_deadline)

    def _failed(self, server, error):
        """Map a Nova or transport error to the server's Outcome."""
        if isinstance(error, nova_exc.ClientException):
            code = error.code if isinstance(error.code, int) else 502
            if code == 401 and self.service_auth is not None:
                self.service_auth.invalidate()
            mapped = _KEPT_STATUSES.get(code, 400 if code < 500 else 502)
            return base.Outcome(server, mapped, error.message)
        if isinstance(error, ks_exc.ConnectTimeout):
            return base.Outcome(server, 504, 'Nova timed out: %s' % error)
        if isinstance(error, ks_exc.ConnectionError):
            return base.Outcome(server, 503,
                                'Nova could not be reached: %s' % error)
        return base.Outcome(server, 502, 'The identity service failed: %s'
                            % type(error).__name__)

    # Credentials and endpoints.

    def _must_check_owner(self, context, target):
        if self.service_auth is not None:
            return True
        if context.project_id != target.tenant_id:
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

    def _nova(self, context, target):
        """A novaclient for this request, on the agent's shared Session."""
        auth = self._auth_for(context)
        endpoint = self._compute_endpoint(auth, target.region)
        check = self._must_check_owner(context, target)
        LOG.debug('Agent %s: tenant %s in %s via %s, auth mode %s, '
                  'ownership check %s', self.agent, target.tenant_id,
                  target.region, endpoint, self.opts.auth_mode,
                  'on' if check else 'off')
        return nova_client.Client(
            self.opts.microversion, session=self.session, auth=auth,
            endpoint_override=endpoint.replace('%', '%%'),
            endpoint_type=self.opts.interface, region_name=target.region,
            global_request_id=context.request_id, connect_retries=0,
            status_code_retries=0)

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
        found = access.service_catalog.get_endpoints_data(
            service_type='compute', interface=self.opts.interface)
        endpoints = found.get('compute', [])
        for endpoint in endpoints:
            if endpoint.region_name == region:
                return endpoint.url
        raise exception.UnknownRegion(
            region, {e.region_name for e in endpoints if e.region_name})


def _verify(opts):
    """requests' ``verify`` from the session options, as keystoneauth."""
    if opts.insecure:
        return False
    return opts.cafile or True


def _client_cert(opts):
    if opts.certfile and opts.keyfile:
        return (opts.certfile, opts.keyfile)
    return opts.certfile


def _state_of(server):
    power = getattr(server, 'OS-EXT-STS:power_state', None)
    if power is not None:
        power = POWER_STATES.get(power, str(power))
    return base.ServerState(
        status=server.status,
        task_state=getattr(server, 'OS-EXT-STS:task_state', None),
        power_state=power)
