"""One test module per vmact filter, each filter over a FakeApp."""

import webob
import webob.dec


class FakeApp(object):
    """The app below a filter: records each request, answers ``response``.

    ``response`` is a webob response (default: 200 ``ok``) or an
    exception to raise.
    """

    def __init__(self, response=None):
        self.response = response
        self.requests = []

    @webob.dec.wsgify
    def __call__(self, req):
        self.requests.append(req)
        if isinstance(self.response, Exception):
            raise self.response
        return self.response or webob.Response('ok')
