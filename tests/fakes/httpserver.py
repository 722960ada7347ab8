"""A threaded loopback HTTP server that can stop and resume listening.

The base of both fakes: it binds 127.0.0.1 (port 0 picks a free port),
serves each connection in a named daemon thread, and can stop listening
while keeping its port, so that clients get "connection refused" until
:meth:`LoopbackServer.listen` is called again.
"""

import http.server
import threading

from tests.support import ports

LOOPBACK = ports.LOOPBACK


class _ThreadingServer(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer whose handler threads carry a recognisable name."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets bursts of new connections.
    request_queue_size = 256
    thread_name = 'fake-http'

    def process_request_thread(self, request, client_address):
        threading.current_thread().name = '%s-conn' % self.thread_name
        super().process_request_thread(request, client_address)


class OwnerHandler(http.server.BaseHTTPRequestHandler):
    """Hands every request to ``self.server.owner.handle``; no access log."""

    def log_message(self, fmt, *args):
        """Silence the default stderr access log."""

    def do_GET(self):
        self.server.owner.handle(self)

    def do_POST(self):
        self.server.owner.handle(self)

    def do_PUT(self):
        self.server.owner.handle(self)

    def do_DELETE(self):
        self.server.owner.handle(self)


def handler_class(name, server_version, protocol_version='HTTP/1.1'):
    """An :class:`OwnerHandler` subclass with these versions."""
    return type(name, (OwnerHandler,), {
        'server_version': server_version,
        'protocol_version': protocol_version})


class LoopbackServer(object):
    """Serve ``handler_class`` on 127.0.0.1 until :meth:`stop`.

    :param handler_class: a ``BaseHTTPRequestHandler`` subclass; it reaches
        this object as ``self.server.owner``.
    :param name: prefix of every thread this server starts, so tests can
        tell them from the threads of the code under test.
    :param port: 0 for a free port.
    """

    def __init__(self, handler_class, name, port=0):
        self.handler_class = handler_class
        self.name = name
        self.port = port
        self._httpd = None
        self._thread = None
        self._lock = threading.Lock()
        self._closed_servers = []

    @property
    def url(self):
        """``http://127.0.0.1:<port>``."""
        return 'http://%s:%d' % (LOOPBACK, self.port)

    @property
    def listening(self):
        return self._httpd is not None

    def listen(self):
        """Start (or resume) accepting connections on the same port."""
        with self._lock:
            if self._httpd is not None:
                return
            httpd = _ThreadingServer((LOOPBACK, self.port),
                                     self.handler_class)
            httpd.thread_name = self.name
            httpd.owner = self
            self.port = httpd.server_address[1]
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={'poll_interval': 0.05},
                name='%s-listener' % self.name, daemon=True)
            self._thread.start()

    def refuse(self):
        """Stop accepting connections: clients get "connection refused".

        Connections already open are served to the end; the port is kept
        for :meth:`listen`.
        """
        with self._lock:
            httpd, self._httpd = self._httpd, None
            thread, self._thread = self._thread, None
        if httpd is not None:
            httpd.shutdown()
            httpd.socket.close()
            thread.join()
            self._closed_servers.append(httpd)

    def stop(self):
        """Refuse new connections and wait for every handler thread."""
        self.before_stop()
        self.refuse()
        for httpd in self._closed_servers:
            httpd.server_close()
        del self._closed_servers[:]

    def before_stop(self):
        """Hook: release anything handler threads may be waiting on."""

    def __enter__(self):
        self.listen()
        return self

    def __exit__(self, *exc_info):
        self.stop()
