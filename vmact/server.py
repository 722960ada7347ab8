"""The HTTP server of ``vmact-api``: waitress, bounded, with vmact's errors.

waitress reads every request whole, head and body, in one asynchronous
loop before a worker thread sees it, so a slow or huge request costs a
buffer, never a thread. On top of waitress's own limits (head size, body
size, open connections) this module:

* bounds the total time a request may take to arrive: bytes of a request
  that has not arrived whole do not count as activity, so
  ``[api] client_timeout`` counts from when the connection opened, or its
  previous response was sent, to the request's last byte; past it the
  connection is closed without an answer (as an idle one is);
* answers a request with both ``Transfer-Encoding`` and ``Content-Length``
  with 400 (RFC 9112, 6.3: a request smuggling vector);
* renders waitress's own error answers (400, 413, 431, 501) in the error
  format, ``{"msg", "code", "reason"}`` (doc/source/api-rules.rst, "Error
  format"), with an ``x-openstack-request-id``;
* stops gracefully: on :meth:`Server.stop` it closes the listening socket
  (new connections are refused), lets the requests in flight finish and
  send their answers for up to ``[api] shutdown_timeout``, then returns.
"""

import json
import time

from oslo_context import context
from oslo_log import log as logging
from oslo_middleware import opts as middleware_opts
from waitress import adjustments
from waitress import channel
from waitress import parser
from waitress import server
from waitress import task
from waitress import wasyncore

from vmact.api.middleware import fault
from vmact.api import results
from vmact.exception import quote

LOG = logging.getLogger(__name__)

#: How often (seconds) idle and slow connections are looked for.
CLEANUP_INTERVAL = 1
#: The event loop's poll timeout while draining at shutdown.
DRAIN_POLL = 0.05

MESSAGES = {
    400: 'Malformed HTTP request: %s.',
    413: fault.MESSAGES[413],
    431: 'The request head (request line and header fields) is larger than '
         'this service accepts: at most %d bytes.',
}


class JsonErrorTask(task.ErrorTask):
    """waitress's error answer, in the error format, with a request id."""

    def execute(self):
        error = self.request.error
        code = error.code
        if code == 400:
            msg = MESSAGES[400] % quote(error.body, 200)
        elif code == 431:
            msg = MESSAGES[431] % self.channel.adj.max_request_header_size
        elif code in MESSAGES:
            msg = MESSAGES[code]
        else:
            msg = '%s.' % results.reason(code)
        request_id = context.generate_request_id()
        LOG.warning('%s: answered %d before the application: %s',
                    request_id, code, quote(error.body, 200))
        body = json.dumps({'msg': msg, 'code': code,
                           'reason': results.reason(code)}).encode('utf-8')
        self.status = '%d %s' % (code, results.reason(code))
        self.response_headers.extend([
            ('Content-Type', 'application/json'),
            ('x-openstack-request-id', request_id)])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class StrictRequestParser(parser.HTTPRequestParser):
    """waitress's parser, refusing Transfer-Encoding with Content-Length."""

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        if self.chunked and 'CONTENT_LENGTH' in self.headers:
            raise parser.ParsingError(
                'both Transfer-Encoding and Content-Length are given')


class BoundedChannel(channel.HTTPChannel):
    """A connection whose requests must arrive whole within the timeout.

    waitress closes a connection idle for ``channel_timeout``; here the
    bytes of a request still arriving are not activity, so the same
    timeout also bounds how long a request may trickle in.
    """

    parser_class = StrictRequestParser
    error_task_class = JsonErrorTask

    def handle_read(self):
        active_since = self.last_activity
        super().handle_read()
        if self.request is not None:
            self.last_activity = active_since


class Server(server.TcpWSGIServer):
    """waitress's TCP server with :class:`BoundedChannel` connections."""

    channel_class = BoundedChannel

    _stopping = False

    def serve(self, shutdown_timeout):
        """Serve until :meth:`stop`; then drain for ``shutdown_timeout``."""
        while not self._stopping:
            self._poll(self.adj.asyncore_loop_timeout)
        self._drain(time.monotonic() + shutdown_timeout)

    def stop(self):
        """Ask :meth:`serve` to stop; safe to call from a signal handler."""
        self._stopping = True
        self.pull_trigger()

    def _poll(self, timeout):
        wasyncore.loop(timeout=timeout, map=self._map, use_poll=True,
                       count=1)

    def _drain(self, deadline):
        """Refuse new connections; close each open one once it is idle."""
        wasyncore.dispatcher.close(self)
        while self.active_channels and time.monotonic() < deadline:
            for conn in list(self.active_channels.values()):
                if not (conn.requests or conn.close_when_flushed
                        or conn.will_close):
                    conn.close_when_flushed = True
            self._poll(DRAIN_POLL)
        if self.active_channels:
            LOG.warning('Shutdown timeout: closing %d connection(s) with '
                        'requests still in flight',
                        len(self.active_channels))
        self.task_dispatcher.shutdown(
            timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(self._map)


def adjustments_for(conf):
    """waitress's settings from vmact's options."""
    conf.register_opts(middleware_opts.list_opts_sizelimit()[0][1],
                       group='oslo_middleware')
    return adjustments.Adjustments(
        host=conf.api.host, port=conf.api.port,
        threads=conf.api.server_threads,
        backlog=conf.api.backlog,
        connection_limit=conf.api.max_connections,
        channel_timeout=conf.api.client_timeout,
        cleanup_interval=CLEANUP_INTERVAL,
        max_request_header_size=conf.api.max_request_header_size,
        # waitress refuses a body of max_request_body_size bytes; oslo's
        # sizelimit only one larger than its own maximum.
        max_request_body_size=(
            conf.oslo_middleware.max_request_body_size + 1),
        # oslo.middleware's http_proxy_to_wsgi decides about X-Forwarded-*.
        clear_untrusted_proxy_headers=False,
        asyncore_use_poll=True,
        ident='vmact-api')


def build(conf, app):
    """The server for ``conf``, listening on ``[api] host`` and ``port``."""
    adj = adjustments_for(conf)
    return Server(app, adj=adj, sockinfo=adj.listen[0])
