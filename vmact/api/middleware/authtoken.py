"""keystonemiddleware's ``auth_token``, bounded, and strict for actions.

vmact runs keystonemiddleware with ``delay_auth_decision = true`` (so
that its token-auth filter answers in the seed's format) and changes
three things:

* **Keystone outages are 503.** keystonemiddleware reports "Keystone
  could not be reached" exactly like "this token is invalid", and lets a
  timeout (keystoneauth's ``ConnectTimeout``, raised for read timeouts
  too) escape as an error. Both become 503 here: a client must not be
  told its valid token is bad because Keystone is down or frozen.
* **Every call is bounded.** :mod:`vmact.conf.keystone_authtoken` gives
  timeouts to every call keystonemiddleware makes, and a token cache that
  fails (memcached frozen, its connection pool exhausted) is skipped: the
  token is validated with Keystone and the request goes on.
* **Actions see revocations at once.** With ``[api]
  revalidate_action_tokens`` (the default) every request but GET and
  HEAD has its tokens validated by Keystone, the cache notwithstanding:
  one validation per token, and the fresh answer is cached for the
  reads. Reads keep the cache (``token_cache_time``).
"""

import contextvars

from keystoneauth1 import exceptions as ksa_exceptions
from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _exceptions as ksm_exceptions
from oslo_log import log as logging
import webob.exc

from vmact import conf as vmact_conf
from vmact.conf import keystone_authtoken

LOG = logging.getLogger(__name__)

#: What keystonemiddleware catches as "Keystone unavailable", plus every
#: keystoneauth connection error (ConnectTimeout, SSLError, ...).
UNREACHABLE = (ksa_exceptions.ConnectionError,
               ksa_exceptions.DiscoveryFailure,
               ksa_exceptions.RequestTimeout,
               ksm_exceptions.ServiceError)
READ_METHODS = frozenset(['GET', 'HEAD'])
UNAVAILABLE_MSG = 'The Keystone service is temporarily unavailable.'

#: True while the current thread serves a request whose tokens must be
#: validated by Keystone whatever the cache holds.
_validate_fresh = contextvars.ContextVar('vmact_validate_fresh',
                                         default=False)


class TokenCache(object):
    """keystonemiddleware's token cache, skipped when it fails or must be.

    ``get`` finds nothing while :data:`_validate_fresh` is set, so that
    keystonemiddleware validates the token (once) and caches the answer.
    An error of the cache itself is logged and treated as a miss (get) or
    ignored (set): the cache only saves Keystone calls.
    """

    def __init__(self, cache):
        self._cache = cache

    def initialize(self, env):
        self._cache.initialize(env)

    def get(self, token_id):
        if _validate_fresh.get():
            return None
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


class AuthProtocol(auth_token.AuthProtocol):
    """auth_token with 503 for outages and fresh validation for actions."""

    def __init__(self, app, conf):
        super().__init__(app, conf)
        self._revalidate_actions = (
            vmact_conf.CONF.api.revalidate_action_tokens)

    def _token_cache_factory(self):
        return TokenCache(super()._token_cache_factory())

    def process_request(self, request):
        """keystonemiddleware's, skipping the cache for action requests."""
        fresh = (self._revalidate_actions and
                 request.method not in READ_METHODS)
        reset = _validate_fresh.set(fresh)
        try:
            return super().process_request(request)
        finally:
            _validate_fresh.reset(reset)

    def fetch_token(self, token, **kwargs):
        """keystonemiddleware's, with Keystone outages raised as 503."""
        try:
            return super().fetch_token(token, **kwargs)
        except ksm_exceptions.InvalidToken as e:
            if isinstance(e.__context__, UNREACHABLE):
                raise webob.exc.HTTPServiceUnavailable(UNAVAILABLE_MSG)
            raise
        except UNREACHABLE as e:
            LOG.error('Keystone did not answer a token validation '
                      '(%s: %s)', type(e).__name__, e)
            raise webob.exc.HTTPServiceUnavailable(UNAVAILABLE_MSG)


def filter_factory(global_conf, **local_conf):
    keystone_authtoken.set_defaults(vmact_conf.CONF)
    conf = global_conf.copy()
    conf.update(local_conf)

    def auth_filter(app):
        return AuthProtocol(app, conf)
    return auth_filter
