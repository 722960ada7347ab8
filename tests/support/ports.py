"""Loopback ports and listening sockets."""

import socket

LOOPBACK = '127.0.0.1'


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago.

    For servers that bind themselves (racy by nature, fine for tests);
    :func:`bind_loopback` hands a child a socket that nobody can take.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def bind_loopback(port=0):
    """A listening TCP socket on 127.0.0.1 (port 0: the kernel picks)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(64)
    return sock


def url(port, path=''):
    """``http://127.0.0.1:<port><path>``."""
    return 'http://%s:%d%s' % (LOOPBACK, port, path)
