"""keystonemiddleware's ``auth_token``, with Keystone outages told apart.

With ``delay_auth_decision = true`` (so that vmact's token-auth filter
answers in the seed's format), keystonemiddleware reports "Keystone could
not be reached" exactly like "this token is invalid". This subclass keeps
everything else and turns the first case back into the 503 that
keystonemiddleware itself answers without delayed decisions: a client
must not be told its valid token is bad because Keystone is down.
"""

from keystoneauth1 import exceptions as ksa_exceptions
from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _exceptions as ksm_exceptions
import webob.exc

UNREACHABLE = (ksa_exceptions.ConnectFailure,
               ksa_exceptions.DiscoveryFailure,
               ksa_exceptions.RequestTimeout,
               ksm_exceptions.ServiceError)


class AuthProtocol(auth_token.AuthProtocol):
    """auth_token that answers 503 when Keystone cannot be reached."""

    def fetch_token(self, token, **kwargs):
        try:
            return super().fetch_token(token, **kwargs)
        except ksm_exceptions.InvalidToken as e:
            if isinstance(e.__context__, UNREACHABLE):
                raise webob.exc.HTTPServiceUnavailable(
                    'The Keystone service is temporarily unavailable.')
            raise


def filter_factory(global_conf, **local_conf):
    conf = global_conf.copy()
    conf.update(local_conf)

    def auth_filter(app):
        return AuthProtocol(app, conf)
    return auth_filter
