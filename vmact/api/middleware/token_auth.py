"""Turn keystonemiddleware's verdict into a request context, or a 401.

keystonemiddleware's ``auth_token`` runs just before this filter with
``delay_auth_decision = true``: it validates the tokens, strips any
identity headers the client forged, and says ``X-Identity-Status`` (the
user token) and, when the request carries an ``X-Service-Token``,
``X-Service-Identity-Status``. As keystonemiddleware itself decides
without delayed decisions, a request passes only when the user token is
``Confirmed`` and the service token, if any, too; anything else is the
seed's authentication error (401, or 400 when ``[api]
unauthorized_status = 400``); on its way out, keystonemiddleware adds
``WWW-Authenticate: Keystone uri=...`` to a 401.
"""

import webob.dec

from vmact.api import results
from vmact import conf as vmact_conf
from vmact import context


CONFIRMED = 'Confirmed'


def confirmed(req):
    """True when the user token and any service token are confirmed.

    keystonemiddleware sets no ``X-Service-Identity-Status`` when there
    is no service token, and removes any the client sent.
    """
    return (req.headers.get('X-Identity-Status') == CONFIRMED and
            req.headers.get('X-Service-Identity-Status',
                            CONFIRMED) == CONFIRMED)


class TokenAuth(object):
    """Build a :class:`vmact.context.RequestContext` for confirmed tokens."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    @webob.dec.wsgify
    def __call__(self, req):
        if not confirmed(req):
            return results.unauthorized(self.conf.api.unauthorized_status)
        req.environ[context.ENV_KEY] = context.RequestContext.from_environ(
            req.environ, auth_plugin=req.environ.get('keystone.token_auth'))
        return req.get_response(self.app)


def filter_factory(global_conf, **local_conf):
    def _filter(app):
        return TokenAuth(app, vmact_conf.CONF)
    return _filter
