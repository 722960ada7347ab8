"""A bound on every PostgreSQL round trip, for psycopg2.

libpq has no read timeout: a query on an open connection to a server that
accepts bytes but does not answer (frozen, swapped out, half dead) waits
for ever, and so would the API request behind it. psycopg2 lets a
process wait for libpq itself (``set_wait_callback``); :func:`install`
makes that wait a ``select`` bounded by ``[database] query_timeout``, so
a silent server becomes an ``OperationalError`` on a closed connection
(which SQLAlchemy discards and oslo.db reports as ``DBConnectionError``)
instead of a hang. The callback is process-wide, as psycopg2's is.
"""

import select
import socket
import time

MESSAGE = 'PostgreSQL did not answer within %gs (query_timeout)'


def install(timeout):
    """Bound each wait for PostgreSQL by ``timeout`` seconds (0: none)."""
    try:
        from psycopg2 import extensions
    except ImportError:
        return False
    if not timeout:
        extensions.set_wait_callback(None)
        return True
    extensions.set_wait_callback(
        lambda conn: wait_bounded(conn, timeout, extensions))
    return True


def wait_bounded(conn, timeout, extensions):
    """Poll ``conn`` until libpq is done, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _hang_up(conn)
            raise extensions.QueryCanceledError(MESSAGE % timeout)
        if state == extensions.POLL_READ:
            select.select([conn.fileno()], [], [], remaining)
        elif state == extensions.POLL_WRITE:
            select.select([], [conn.fileno()], [], remaining)
        else:
            raise conn.OperationalError('bad state from poll: %s' % state)


def _hang_up(conn):
    """Shut the connection's socket so libpq sees it closed.

    ``conn.close()`` would wait for the silent server in turn; a shut
    socket makes psycopg2 mark the connection broken, and SQLAlchemy's
    pool discard it.
    """
    dup = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()
    try:
        conn.poll()
    except Exception:
        pass
