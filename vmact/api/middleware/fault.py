"""Every error leaves in the seed's format, and no traceback leaves at all.

Wraps the pipeline below it: an unexpected exception becomes a logged 500,
and an error response that a library middleware rendered as text or HTML
(oslo.middleware's sizelimit 413, keystonemiddleware's 503 when Keystone
is unreachable) is rewritten as ``{"msg", "code", "reason"}``.
"""

from oslo_log import log as logging
import webob.dec

from vmact.api import results

LOG = logging.getLogger(__name__)

MESSAGES = {
    413: 'The request body is larger than this service accepts.',
    503: 'A service vmact depends on is unavailable; try again later.',
}
KEPT_HEADERS = ('WWW-Authenticate', 'Retry-After', 'Allow')


class FaultWrapper(object):
    """Render every error from the filters and app below in JSON."""

    def __init__(self, app):
        self.app = app

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            response = req.get_response(self.app)
        except Exception:
            LOG.exception('Unexpected error serving %s %r', req.method,
                          req.environ.get('PATH_INFO'))
            return results.error_response(
                500, 'The server failed to serve the request; its log '
                     'has the details.')
        if response.status_int >= 400 and (
                response.content_type != 'application/json'):
            code = response.status_int
            rendered = results.error_response(
                code, MESSAGES.get(code, '%s.' % results.reason(code)))
            for name in KEPT_HEADERS:
                if name in response.headers:
                    rendered.headers[name] = response.headers[name]
            return rendered
        return response


def filter_factory(global_conf, **local_conf):
    return FaultWrapper
