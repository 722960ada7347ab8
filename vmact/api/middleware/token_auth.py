"""Turn keystonemiddleware's verdict into a request context, or a 401.

keystonemiddleware's ``auth_token`` runs just before this filter with
``delay_auth_decision = true``: it validates the token, strips any
identity headers the client forged, and says ``X-Identity-Status``. Only
``Confirmed`` passes; anything else is the seed's authentication error
(401, or 400 when ``[api] unauthorized_status = 400``), with the
``WWW-Authenticate: Keystone uri=...`` header keystonemiddleware itself
would send, so clients know where to get a token.
"""

from keystonemiddleware import auth_token  # noqa: F401 (its options)
import webob.dec

from vmact.api import results
from vmact import conf as vmact_conf
from vmact import context


class TokenAuth(object):
    """Build a :class:`vmact.context.RequestContext` for confirmed tokens."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    @webob.dec.wsgify
    def __call__(self, req):
        if req.headers.get('X-Identity-Status') != 'Confirmed':
            response = results.unauthorized(
                self.conf.api.unauthorized_status)
            uri = self.conf.keystone_authtoken.www_authenticate_uri
            if uri:
                response.headers['WWW-Authenticate'] = 'Keystone uri="%s"' % (
                    uri)
            return response
        req.environ[context.ENV_KEY] = context.RequestContext.from_environ(
            req.environ, auth_plugin=req.environ.get('keystone.token_auth'))
        return req.get_response(self.app)


def filter_factory(global_conf, **local_conf):
    def _filter(app):
        return TokenAuth(app, vmact_conf.CONF)
    return _filter
