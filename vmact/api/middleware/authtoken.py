"""keystonemiddleware's ``auth_token``: cached for reads, fresh for actions.

Two keystonemiddleware ``AuthProtocol`` instances, both deciding
themselves (``delay_auth_decision = false``: 401 for an invalid user or
service token, 503 when Keystone is unreachable, which the ``fault``
filter renders in the error format):

* **reads** (GET, HEAD) use the one configured in ``[keystone_authtoken]``
  and api-paste.ini, token cache included (``token_cache_time``);
* **actions** (any other method), with ``[api] revalidate_action_tokens``
  (the default), use one whose cache never answers: every action request
  has its tokens validated by Keystone, once each, so a revoked token
  cannot act; the fresh answer is stored in the reads' cache.

:mod:`vmact.conf.keystone_authtoken` gives every call keystonemiddleware
makes a timeout. :class:`AuthProtocol` overrides one (private) method of
keystonemiddleware's, ``_token_cache_factory``, for what its options
cannot say:

* a token cache that raises is a miss. oslo.cache's memcached pool
  raises ``QueueEmpty`` when no pooled connection frees within
  ``memcache_pool_conn_get_timeout`` (more threads than
  ``memcache_pool_maxsize`` meeting a slow memcached), and bmemcached
  (SASL, TLS) raises on socket errors; keystonemiddleware lets both
  escape and the request fails. Here the token is validated with
  Keystone and the request served.
* the actions' instance writes to the reads' cache and never reads it.
  ``token_cache_time = -1`` (keystonemiddleware's "disable caching")
  only stops it storing: a shared memcached would still answer, and
  without memcached keystonemiddleware warns about its in-process cache.
"""

from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _exceptions as ksm_exceptions
from oslo_log import log as logging

from vmact.api import middleware
from vmact import conf as vmact_conf
from vmact.conf import keystone_authtoken
from vmact import metrics

LOG = logging.getLogger(__name__)

READ_METHODS = frozenset(['GET', 'HEAD'])


class FailSafeTokenCache(object):
    """keystonemiddleware's token cache, whose errors are misses."""

    def __init__(self, cache):
        self._cache = cache

    def initialize(self, env):
        self._cache.initialize(env)

    def get(self, token_id):
        try:
            return self._cache.get(token_id)
        except Exception as e:
            LOG.warning('Token cache unavailable, validating with '
                        'Keystone: %s: %s', type(e).__name__, e)
            return None

    def set(self, token_id, data):
        try:
            self._cache.set(token_id, data)
        except Exception as e:
            LOG.warning('Token cache unavailable, token not cached: '
                        '%s: %s', type(e).__name__, e)


class WriteOnlyTokenCache(object):
    """A token cache that stores in another and never finds anything."""

    def __init__(self, cache):
        self._cache = cache

    def initialize(self, env):
        self._cache.initialize(env)

    def get(self, token_id):
        return None

    def set(self, token_id, data):
        self._cache.set(token_id, data)


class CountedIdentityServer(object):
    """keystonemiddleware's IdentityServer, counting each validation.

    ``verify_token`` is what keystonemiddleware calls on a cache miss:
    ``vmact_keystone_validations_total{result=valid|invalid|error}``.
    """

    def __init__(self, server):
        self._server = server

    def __getattr__(self, name):
        return getattr(self._server, name)

    def verify_token(self, *args, **kwargs):
        try:
            data = self._server.verify_token(*args, **kwargs)
        except ksm_exceptions.InvalidToken:
            metrics.keystone_validation('invalid')
            raise
        except Exception:
            metrics.keystone_validation('error')
            raise
        metrics.keystone_validation('valid')
        return data


class AuthProtocol(auth_token.AuthProtocol):
    """keystonemiddleware's AuthProtocol, with vmact's token cache.

    ``store_in``: another instance whose cache this one writes to and
    never reads; by default a cache of its own, whose errors are misses.
    """

    def __init__(self, app, conf, store_in=None):
        self.token_cache = (None if store_in is None else
                            WriteOnlyTokenCache(store_in.token_cache))
        super().__init__(app, conf)

    def _create_identity_server(self):
        return CountedIdentityServer(super()._create_identity_server())

    def _token_cache_factory(self):
        if self.token_cache is None:
            self.token_cache = FailSafeTokenCache(
                super()._token_cache_factory())
        return self.token_cache


class AuthToken(middleware.Filter):
    """Send reads to the caching AuthProtocol, actions to the fresh one."""

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        keystone_authtoken.set_defaults(vmact_conf.CONF)
        self.read_auth = AuthProtocol(application, dict(self.conf))
        self.action_auth = self.read_auth
        if vmact_conf.CONF.api.revalidate_action_tokens:
            self.action_auth = AuthProtocol(application, dict(self.conf),
                                            store_in=self.read_auth)

    def __call__(self, environ, start_response):
        if environ['REQUEST_METHOD'] in READ_METHODS:
            return self.read_auth(environ, start_response)
        return self.action_auth(environ, start_response)
