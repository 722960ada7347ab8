"""Every error leaves as ``{"msg", "code", "reason"}``, never a traceback.

Wraps the pipeline below it and renders, in that format, what the
libraries there answer in their own: keystonemiddleware's 401 (with
``[api] unauthorized_status`` applied and its ``WWW-Authenticate`` kept)
and its 503 when Keystone is unreachable, oslo.middleware's 413, and
webob's bare errors raised by vmact's filters. keystoneauth's connection
errors that escape keystonemiddleware (``ConnectTimeout`` is raised for
read timeouts too) are a 503 as well: the token is not at fault. Any
other exception is a logged 500.
"""

from keystoneauth1 import exceptions as ksa_exceptions
from oslo_log import log as logging
import webob.dec

from vmact.api import middleware
from vmact.api import results
from vmact import conf as vmact_conf

LOG = logging.getLogger(__name__)

MESSAGES = {
    413: 'The request body is larger than this service accepts.',
    503: 'A service vmact depends on is unavailable; try again later.',
}
KEPT_HEADERS = ('WWW-Authenticate', 'Retry-After', 'Allow')
JSON = 'application/json'


class FaultWrapper(middleware.Filter):
    """Render every error from the filters and app below in JSON."""

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        self.unauthorized_status = vmact_conf.CONF.api.unauthorized_status

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            response = req.get_response(self.application)
        except ksa_exceptions.ConnectionError as e:
            LOG.error('Keystone could not be reached: %s: %s',
                      type(e).__name__, e)
            return results.error_response(503, MESSAGES[503])
        except Exception:
            LOG.exception('Unexpected error serving %s %r', req.method,
                          req.environ.get('PATH_INFO'))
            return results.error_response(
                500, 'The server failed to serve the request; its log '
                     'has the details.')
        return self.process_response(response, req)

    def process_response(self, response, request=None):
        code = response.status_int
        if code == 401 and not is_rendered(response):
            rendered = results.unauthorized(self.unauthorized_status)
        elif code >= 400 and response.content_type != JSON:
            rendered = results.error_response(
                code, MESSAGES.get(code, '%s.' % results.reason(code)))
        else:
            return response
        for name in KEPT_HEADERS:
            if name in response.headers:
                rendered.headers[name] = response.headers[name]
        return rendered


def is_rendered(response):
    """True for a response already in the error format (a backend's 401)."""
    if response.content_type != JSON:
        return False
    try:
        return 'msg' in response.json
    except ValueError:
        return False
