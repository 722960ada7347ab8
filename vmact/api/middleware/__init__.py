"""vmact's WSGI filters, and the environ keys they set for the app.

Each filter is an :class:`oslo_middleware.base.ConfigurableMiddleware`
loaded by its class's ``factory`` (``paste.filter_factory =
vmact.api.middleware.<module>:<Class>.factory``); the configuration is
read when the pipeline is built, never per request.
"""

from oslo_middleware import base

#: The caller's :class:`vmact.context.RequestContext` (``token_auth``).
CONTEXT_KEY = 'vmact.context'
#: The backend driver of the request's ``Sp-Agent`` (``sp_agent``).
BACKEND_KEY = 'vmact.backend'
#: Every agent's backend, by name (``sp_agent``; the in-process engine).
AGENTS_KEY = 'vmact.agents'


class Filter(base.ConfigurableMiddleware):
    """ConfigurableMiddleware, in plain WSGI on the way through.

    oslo.middleware's ``__call__`` builds a webob Response for every
    request and runs ``inspect.getfullargspec`` on ``process_response``
    each time. Here a filter that does not override
    ``process_response`` hands the request on untouched and returns the
    application's answer as it is: only ``process_request`` sees a
    webob Request, and it may answer instead (any webob Response).
    """

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        self.sees_responses = (type(self).process_response
                               is not base.ConfigurableMiddleware.
                               process_response)

    def __call__(self, environ, start_response):
        req = base.NoContentTypeRequest(environ)
        response = self.process_request(req)
        if response is None:
            if not self.sees_responses:
                return self.application(environ, start_response)
            response = self.process_response(
                req.get_response(self.application), req)
        return response(environ, start_response)
