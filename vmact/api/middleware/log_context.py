"""The request id on every log line of a request, and on no other.

Runs right after oslo.middleware's ``request_id``: it stores a request
context holding the request id in oslo.context's per-thread store before
anything else runs (keystonemiddleware, the agent router, the app, the
backend's workers through ``context.update_store()``), so oslo.log's
formatter prefixes every line of the request with that id. It empties the
store when the request ends, so a worker thread's next request never shows
the previous one's id. The token-auth filter later replaces the stored
context with the caller's (user, project), keeping the same request id.
"""

import webob.dec

from vmact import context
from vmact import log as vmact_log

REQUEST_ID_KEY = 'openstack.request_id'


class RequestLogContext(object):
    """Hold a context with the request id for the whole request."""

    def __init__(self, app):
        self.app = app

    @webob.dec.wsgify
    def __call__(self, req):
        context.RequestContext(request_id=req.environ.get(REQUEST_ID_KEY),
                               overwrite=True)
        try:
            return req.get_response(self.app)
        finally:
            vmact_log.clear_store()


def filter_factory(global_conf, **local_conf):
    return RequestLogContext
