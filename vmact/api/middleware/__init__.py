"""vmact's WSGI filters, and the environ keys they set for the app.

Each filter is an :class:`oslo_middleware.base.ConfigurableMiddleware`
loaded by its class's ``factory`` (``paste.filter_factory =
vmact.api.middleware.<module>:<Class>.factory``); the configuration is
read when the pipeline is built, never per request.
"""

from oslo_middleware import base
import webob.dec

#: The caller's :class:`vmact.context.RequestContext` (``token_auth``).
CONTEXT_KEY = 'vmact.context'
#: The backend driver of the request's ``Sp-Agent`` (``sp_agent``).
BACKEND_KEY = 'vmact.backend'


class Filter(base.ConfigurableMiddleware):
    """ConfigurableMiddleware, minus its per-request signature inspection.

    oslo.middleware's ``__call__`` runs ``inspect.getfullargspec`` on
    ``process_response`` for every request (about 10 us each); here
    ``process_response`` always receives the request.
    """

    @webob.dec.wsgify(RequestClass=base.NoContentTypeRequest)
    def __call__(self, req):
        response = self.process_request(req)
        if response:
            return response
        return self.process_response(req.get_response(self.application),
                                     req)
