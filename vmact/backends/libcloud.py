"""The ``libcloud`` backend: power actions on any Apache Libcloud provider.

One agent is one provider (``provider``), in the regions of its section.
Ownership, since a vendor account is not a vmact tenant:

* ``owner_tag``: an instance is the tenant's when its tag of that key
  equals ``tenant_id``;
* ``tenant_credentials``: a tenant with its own vendor account is served
  with those credentials only (and still by tag when ``owner_tag`` is set).

A tenant with neither has no servers. Anything else is a 404 worded like
a missing instance and never acted on.

Per request: one read of the named instances per account and region
(EC2: ``DescribeInstances`` filtered by ID, and tag, plus libcloud's
``DescribeAddresses``; other providers: ``list_nodes``), then one call
per instance to act (``start_node``, ``stop_node``, ``reboot_node``)
through the agent's :class:`~vmact.backends.fanout.FanOut`. libcloud's
own retry is switched off: a call is resent only when the vendor refused
it by throttling (:mod:`vmact.backends.libcloud_retry`), reads, starts
and stops alike (a reboot never), never after any other error. The read
also serves ``only_if_needed`` and ownership. libcloud drivers are not
thread-safe: each account and region keeps a pool of them, built when
first needed and reused by every request; each call's timeout is the
section's ``timeout`` cut to the request's deadline. States and errors:
:mod:`vmact.backends.libcloud_map`.
"""

import collections
import inspect
import threading
import time

from libcloud.compute.drivers import ec2 as lc_ec2
from libcloud.compute import providers
from oslo_log import log as logging

from vmact.backends import base
from vmact.backends import fanout
from vmact.backends import libcloud_map
from vmact.backends import libcloud_retry
from vmact.conf import libcloud as libcloud_conf
from vmact import exception

LOG = logging.getLogger(__name__)


class _NoRetry(object):
    """libcloud's retry class, made to send every call once."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, func):
        return func


class DriverPool(object):
    """libcloud drivers of one account and region, one per caller at once."""

    def __init__(self, build):
        self._build = build
        self._free = collections.deque()
        self._lock = threading.Lock()

    def prepare(self, agent, region):
        """Build the first driver now: a bad option fails at start."""
        try:
            self._free.append(self._build())
        except (ValueError, TypeError) as e:
            raise exception.ConfigError(
                '[%s] the libcloud driver for region %s cannot be built: %s'
                % (agent, region, e))
        except Exception as e:
            LOG.warning('Agent %s: the libcloud driver for region %s is not '
                        'built yet (%s); will try on first use', agent,
                        region, type(e).__name__)

    def call(self, deadline, timeout, method, *args, **kwargs):
        """``driver.method(*args)`` with a timeout cut to ``deadline``."""
        with self._lock:
            driver = self._free.pop() if self._free else None
        if driver is None:
            driver = self._build()
        try:
            seconds = max(0.01, min(timeout, deadline - time.monotonic()))
            connection = driver.connection
            connection.timeout = seconds
            session = getattr(getattr(connection, 'connection', None),
                              'session', None)
            if session is not None:
                session.timeout = seconds
            return getattr(driver, method)(*args, **kwargs)
        finally:
            with self._lock:
                self._free.append(driver)


class LibcloudBackend(base.Backend):
    """Start, stop, reboot and read libcloud nodes for one agent."""

    resends_refusals = True  # libcloud_retry, within each call

    @classmethod
    def list_opts(cls):
        return libcloud_conf.list_opts()

    def __init__(self, conf, agent):
        super().__init__(conf, agent)
        opts = self.opts
        if not opts.provider or not opts.regions:
            raise exception.ConfigError(
                '[%s] backend = libcloud needs provider and regions' % agent)
        try:
            self.driver_cls = providers.get_driver(opts.provider)
        except AttributeError:
            raise exception.ConfigError(
                '[%s] provider = %s: libcloud has no such compute provider'
                % (agent, opts.provider))
        self.filters_by_id = issubclass(self.driver_cls,
                                        lc_ec2.BaseEC2NodeDriver)
        accounts = {None: (opts.key, opts.secret)}
        for tenant, pair in opts.tenant_credentials.items():
            key, sep, secret = pair.partition(':')
            if not (sep and key and secret):
                raise exception.ConfigError(
                    '[%s] tenant_credentials: the entry of tenant %s is not '
                    'tenant_id:key:secret' % (agent, tenant))
            accounts[tenant] = (key, secret)
        if not (opts.owner_tag or opts.tenant_credentials):
            raise exception.ConfigError(
                '[%s] needs owner_tag, tenant_credentials or both: nothing '
                'would tell whose instances are whose' % agent)
        self.pools = {}
        for account, creds in accounts.items():
            for region in opts.regions:
                pool = DriverPool(lambda c=creds, r=region: self._build(c, r))
                pool.prepare(agent, region)
                self.pools[account, region] = pool
        self.throttling = libcloud_retry.Throttling(
            agent, opts.throttle_retries, opts.throttle_backoff)
        self.fanout = fanout.FanOut(opts.max_concurrency,
                                    'vmact-libcloud-%s' % agent)

    def _build(self, credentials, region):
        """A libcloud driver for one account and region."""
        accepted = inspect.signature(self.driver_cls.__init__).parameters
        any_kwarg = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
        key, secret = credentials
        wanted = dict(self.opts.driver_options, key=key, secret=secret,
                      region=region, host=self.opts.host, port=self.opts.port,
                      secure=self.opts.secure, timeout=self.opts.timeout)
        kwargs = {name: value for name, value in wanted.items()
                  if value is not None and (any_kwarg or name in accepted)}
        driver = self.driver_cls(**kwargs)
        driver.connection.retryCls = _NoRetry
        return driver

    def check_reboot_type(self, action):
        """A 400 naming the agent for a reboot type it cannot do."""
        if action.name == base.REBOOT and \
                action.reboot_type not in self.opts.reboot_types:
            raise exception.BadRequest(
                'Agent %s cannot do a %s reboot; it supports: %s' % (
                    self.agent, action.reboot_type,
                    ', '.join(self.opts.reboot_types)))

    def show(self, context, target):
        call = self._call(target)
        return [shown for shown, _ in self._read(context, call, target)]

    def act(self, context, target, action):
        self.check_reboot_type(action)
        call = self._call(target)
        outcomes, todo = [], []
        for shown, node in self._read(context, call, target):
            spared = base.instead_of_sending(action, shown)
            outcomes.append(spared)
            if spared is None:
                todo.append(node)
        sent = iter(self.fanout.run(
            lambda node: self._send(call, node, action), todo, call.deadline,
            self.opts.max_concurrency_per_request,
            lambda node: self._not_sent(node.id), context))
        return [next(sent) if outcome is None else outcome
                for outcome in outcomes]

    def _call(self, target):
        """The request's driver pool, tenant and deadline."""
        if target.region not in self.opts.regions:
            raise exception.UnknownRegion(target.region, self.opts.regions)
        account = target.tenant_id \
            if target.tenant_id in self.opts.tenant_credentials else None
        pool = self.pools[account, target.region]
        if account is None and not self.opts.owner_tag:
            pool = None
        return _Call(pool, target.tenant_id,
                     time.monotonic() + self.opts.request_deadline)

    def _read(self, context, call, target):
        """(Outcome, node or None) per server of ``target``, in order."""
        if call.pool is None:
            LOG.debug('Tenant %s has no account and %s no owner_tag: no '
                      'servers', call.tenant_id, self.agent)
            return [(libcloud_map.not_found(s), None) for s in target.servers]
        listed = self.fanout.run(
            lambda servers: self._list(call, servers), [target.servers],
            call.deadline, 1, lambda servers: None, context)[0]
        if listed is None:
            return [(self._not_sent(s), None) for s in target.servers]
        if isinstance(listed, Exception):
            return [(libcloud_map.outcome_of_error(s, listed, self.agent),
                     None) for s in target.servers]
        nodes = {node.id: node for node in listed if self._owns(call, node)}
        return [(base.Outcome(s, 200, state=libcloud_map.state_of(nodes[s])),
                 nodes[s]) if s in nodes else (libcloud_map.not_found(s), None)
                for s in target.servers]

    def _list(self, call, servers):
        """The provider's nodes among ``servers``, or the error raised."""
        kwargs = {}
        if self.filters_by_id:
            kwargs['ex_filters'] = {'instance-id': list(servers)}
            if self.opts.owner_tag:
                kwargs['ex_filters']['tag:' + self.opts.owner_tag] = \
                    call.tenant_id
        try:
            return self._vendor(call, 'Reading servers', 'list_nodes',
                                **kwargs)
        except Exception as e:
            self._log_failure('Reading servers', e)
            return e

    def _owns(self, call, node):
        if not self.opts.owner_tag:
            return True
        tags = (node.extra or {}).get('tags') or {}
        return tags.get(self.opts.owner_tag) == call.tenant_id

    def _send(self, call, node, action):
        method = {base.START: 'start_node', base.STOP: 'stop_node',
                  base.REBOOT: 'reboot_node'}[action.name]
        what = '%s of server %s' % (action, node.id)
        try:
            # A reboot is never sent twice, not even after a refusal.
            accepted = self._vendor(call, what, method, node,
                                    resend=action.name != base.REBOOT)
        except Exception as e:
            self._log_failure(what, e)
            return libcloud_map.outcome_of_error(node.id, e, self.agent)
        if accepted is False:
            return base.Outcome(node.id, 409, 'The vendor of agent %s left '
                                'instance %s as it was: %s not applied in '
                                'its state' % (self.agent, node.id, action))
        return base.Outcome(node.id, 202)

    def _vendor(self, call, what, method, *args, resend=True, **kwargs):
        """One vendor call, resent only while refused by throttling."""
        def send():
            return call.pool.call(call.deadline, self.opts.timeout, method,
                                  *args, **kwargs)
        if not resend:
            return send()
        return self.throttling.call(send, call.deadline, what)

    def _log_failure(self, what, error):
        if isinstance(error, libcloud_map.VENDOR_ERRORS):
            LOG.info('Agent %s: %s failed: %s', self.agent, what,
                     type(error).__name__)
        else:
            LOG.exception('Agent %s: %s failed unexpectedly', self.agent,
                          what)

    def _not_sent(self, server_id):
        return base.Outcome(server_id, 504, 'Not sent: the request deadline of'
                            ' %gs passed first' % self.opts.request_deadline)


_Call = collections.namedtuple('_Call', 'pool tenant_id deadline')
