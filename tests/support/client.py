"""One HTTP exchange with a loopback server, over a fresh connection."""

import http.client
import json

from tests.support import ports


class Response(object):
    """What one exchange returned; header names are lower case."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode('utf-8'))

    @property
    def request_id(self):
        return self.headers.get('x-openstack-request-id')

    def __repr__(self):
        return '<Response %d %r>' % (self.status, self.body[:300])


def request(port, method, path, body=None, headers=None, timeout=30):
    """Send one request to 127.0.0.1:``port``; a dict or list is JSON."""
    conn = http.client.HTTPConnection(ports.LOOPBACK, port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode('utf-8')
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Response(response.status,
                        {k.lower(): v for k, v in response.getheaders()},
                        response.read())
    finally:
        conn.close()
