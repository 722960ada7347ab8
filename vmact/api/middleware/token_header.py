"""Accept the seed's ``token`` header as an alias of ``X-Auth-Token``.

The seed's parameter table calls the header ``token``; its curl sample
sends ``X-Auth-Token``. This filter runs before keystonemiddleware so that
either reaches token validation. ``X-Auth-Token`` wins when both are sent.

A token that is not printable ASCII without spaces cannot be a Keystone
token; it is dropped here, so the request is answered as one without a
token (401) instead of reaching Keystone as a malformed HTTP header.
"""

import re

import webob.dec

TOKEN = re.compile(r'[!-~]{1,16384}')


class TokenHeaderAlias(object):
    """Copy ``token`` into ``X-Auth-Token`` when the latter is absent."""

    def __init__(self, app):
        self.app = app

    @webob.dec.wsgify
    def __call__(self, req):
        alias = req.environ.pop('HTTP_TOKEN', None)
        if alias and 'HTTP_X_AUTH_TOKEN' not in req.environ:
            req.environ['HTTP_X_AUTH_TOKEN'] = alias
        token = req.environ.get('HTTP_X_AUTH_TOKEN')
        if token is not None and not TOKEN.fullmatch(token):
            del req.environ['HTTP_X_AUTH_TOKEN']
        return req.get_response(self.app)


def filter_factory(global_conf, **local_conf):
    return TokenHeaderAlias
