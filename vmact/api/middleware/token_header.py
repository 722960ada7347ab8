"""Accept the ``token`` header as an alias of ``X-Auth-Token``.

Some clients send the token in a header called ``token``. This filter
runs before authentication so that either reaches it; ``X-Auth-Token``
wins when both are sent.

A token that is not printable ASCII without spaces cannot be a Keystone
token; it is dropped here, so the request is answered as one without a
token (401) instead of reaching Keystone as a malformed HTTP header.
"""

import re

from vmact.api import middleware

TOKEN = re.compile(r'[!-~]{1,16384}')


class TokenHeaderAlias(middleware.Filter):
    """Copy ``token`` into ``X-Auth-Token`` when the latter is absent."""

    def process_request(self, req):
        environ = req.environ
        alias = environ.pop('HTTP_TOKEN', None)
        if alias and 'HTTP_X_AUTH_TOKEN' not in environ:
            environ['HTTP_X_AUTH_TOKEN'] = alias
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if token is not None and not TOKEN.fullmatch(token):
            del environ['HTTP_X_AUTH_TOKEN']
