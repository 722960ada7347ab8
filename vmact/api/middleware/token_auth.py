"""The one place a request context is built: from the identity headers.

keystonemiddleware's ``auth_token`` (or, in development, ``noauth``) runs
just before this filter: it has refused every request whose user token,
or service token if one was sent, is not valid (401), removed any
identity header the client forged, and set ``X-Identity-Status:
Confirmed``, ``X-User-Id``, ``X-Project-Id``, ``X-Roles`` and the rest.
This filter turns them into a :class:`vmact.context.RequestContext`
(oslo.context's ``from_environ``) carrying keystonemiddleware's auth
plugin for the backends. A request without a confirmed identity (a
pipeline that lets one through) is refused with 401.
"""

import webob.exc

from vmact.api import middleware
from vmact import context

CONFIRMED = 'Confirmed'
AUTH_PLUGIN_KEY = 'keystone.token_auth'


def confirmed(environ):
    """True when the user token and any service token are confirmed."""
    return (environ.get('HTTP_X_IDENTITY_STATUS') == CONFIRMED and
            environ.get('HTTP_X_SERVICE_IDENTITY_STATUS',
                        CONFIRMED) == CONFIRMED)


class TokenAuth(middleware.Filter):
    """Store the caller's context in ``environ['vmact.context']``."""

    def process_request(self, req):
        environ = req.environ
        if not confirmed(environ):
            return webob.exc.HTTPUnauthorized()
        environ[middleware.CONTEXT_KEY] = context.RequestContext.from_environ(
            environ, auth_plugin=environ.get(AUTH_PLUGIN_KEY))
