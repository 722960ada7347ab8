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

from vmact.api import middleware
from vmact import context
from vmact import log as vmact_log


class RequestLogContext(middleware.Filter):
    """Hold a context with the request id for the whole request."""

    def __call__(self, environ, start_response):
        context.RequestContext(
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            overwrite=True)
        try:
            return self.application(environ, start_response)
        finally:
            vmact_log.clear_store()
