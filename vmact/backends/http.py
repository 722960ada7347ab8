"""HTTP sessions for drivers that call OpenStack services.

One :func:`agent_session` per agent: a keystoneauth Session that never
sends a call twice (:class:`SendOnceSession`), over one
:class:`PooledHTTPSession` holding the agent's connection pool. Every
call has a connect and a read timeout, both cut to what is left of the
deadline of the :func:`deadline_scope` it is made in. Proxy and CA-bundle
variables are read from the environment once per host; ``.netrc`` is
never used; nothing is retried.
"""

import contextlib
import contextvars
import os
import time
import urllib.parse

from keystoneauth1 import session as ks_session
import requests

#: Distinct hosts (Nova regions, Keystone) whose connections are pooled.
HOST_POOLS = 16

_deadline = contextvars.ContextVar('vmact_http_deadline', default=None)


@contextlib.contextmanager
def deadline_scope(deadline):
    """Bound the calls this thread makes meanwhile by ``deadline``.

    :param deadline: a ``time.monotonic()`` value.
    """
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


class PooledHTTPSession(requests.Session):
    """A requests Session with a wide pool and deadline-bound timeouts."""

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
            pool_connections=HOST_POOLS, pool_maxsize=pool_size,
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
        """(connect, read) timeouts, cut to the scope's time left.

        :raises requests.exceptions.ConnectTimeout: the deadline passed.
        """
        at = _deadline.get()
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
    the service may have logged or acted on the first one, so that is off.
    """

    def request(self, url, method, **kwargs):
        kwargs['allow_reauth'] = False
        return super().request(url, method, **kwargs)


def agent_session(opts, pool_size, app_name='vmact'):
    """The keystoneauth Session of one agent, from its section's options.

    :param opts: the agent's options: ``connect_timeout``,
        ``read_timeout`` and keystoneauth's session options (``cafile``,
        ``insecure``, ``certfile``, ``keyfile``, ...).
    :param pool_size: connections kept per host.
    :returns: a :class:`SendOnceSession`; its ``session`` attribute is the
        :class:`PooledHTTPSession`.
    """
    pooled = PooledHTTPSession(
        pool_size, opts.connect_timeout, opts.read_timeout,
        tls_ciphers=opts.tls_ciphers, tls_min_version=opts.tls_min_version)
    return SendOnceSession(
        session=pooled, verify=_verify(opts), cert=_client_cert(opts),
        collect_timing=opts.collect_timing, split_loggers=opts.split_loggers,
        connect_retries=0, app_name=app_name)


def _verify(opts):
    """requests' ``verify`` from the session options, as keystoneauth."""
    if opts.insecure:
        return False
    return opts.cafile or True


def _client_cert(opts):
    if opts.certfile and opts.keyfile:
        return (opts.certfile, opts.keyfile)
    return opts.certfile
