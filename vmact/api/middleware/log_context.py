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

from oslo_middleware import request_id
import webob.dec

from vmact.api import middleware
from vmact import context
from vmact import log as vmact_log


class RequestLogContext(middleware.Filter):
    """Hold a context with the request id for the whole request."""

    @webob.dec.wsgify
    def __call__(self, req):
        context.RequestContext(
            request_id=req.environ.get(request_id.ENV_REQUEST_ID),
            overwrite=True)
        try:
            return req.get_response(self.application)
        finally:
            vmact_log.clear_store()
