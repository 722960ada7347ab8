"""The jobs database's enginefacade context, configured from ``[database]``.

An enginefacade context can be configured only once, before its first
transaction; :func:`configure` therefore builds a new one each time it is
called (the previous one's pool is disposed), and :func:`reset_for_tests`
gives a test a fresh database, e.g. ``sqlite://``.
"""

import os
import threading
import urllib.parse

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import exc_filters
from sqlalchemy import exc as sa_exc

from vmact.conf import database
from vmact.db import pg_wait

_CONTEXT = enginefacade.transaction_context()
_LOCK = threading.Lock()


@exc_filters.filters('postgresql', sa_exc.OperationalError,
                     r'.*connection to server .* failed')
def _postgresql_connect_error(error, match, engine_name, is_disconnect):
    """libpq 14 and later's "cannot connect" is a DBConnectionError too.

    oslo.db recognises only the older "could not connect to server".
    """
    raise db_exc.DBConnectionError(error)


@exc_filters.filters('postgresql', sa_exc.OperationalError,
                     r'.*' + pg_wait.MESSAGE.split(' within')[0])
def _postgresql_silent(error, match, engine_name, is_disconnect):
    """A server that did not answer in ``query_timeout`` is unreachable."""
    raise db_exc.DBConnectionError(error)


class _Scope(object):
    """The object enginefacade attaches its transaction state to."""


def with_connect_timeout(url, timeout):
    """``url`` with ``connect_timeout`` added for PostgreSQL and MySQL.

    libpq and PyMySQL wait for an unresponsive server without limit when
    the URL names no ``connect_timeout``; a URL that names one keeps it.
    """
    if not url or not timeout:
        return url
    scheme = url.split(':', 1)[0].split('+', 1)[0]
    if scheme not in ('postgresql', 'mysql'):
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == 'connect_timeout' for name, _ in query):
        return url
    query.append(('connect_timeout', str(timeout)))
    return urllib.parse.urlunsplit(
        parts._replace(query=urllib.parse.urlencode(query)))


def configure(conf):
    """Use the database of ``conf``'s ``[database]`` from now on."""
    database.register_opts(conf)
    settings = dict(conf.database.items())
    timeout = settings.pop('connect_timeout', None)
    query_timeout = settings.pop('query_timeout', None)
    settings.pop('sync_on_startup', None)
    url = settings.get('connection') or ''
    if url.startswith('sqlite'):
        _make_parent(url)
    elif url.split(':', 1)[0] in ('postgresql', 'postgresql+psycopg2'):
        pg_wait.install(query_timeout)
    settings['connection'] = with_connect_timeout(url, timeout)
    _replace(settings)


def _make_parent(url):
    """Create the directory of a sqlite file database if missing."""
    path = url.split(':///', 1)[1].split('?', 1)[0] if ':///' in url else ''
    if path and path != ':memory:':
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)),
                        exist_ok=True)
        except OSError:
            pass  # sqlite says why it cannot open the file.


def reset_for_tests(connection='sqlite://', **settings):
    """A fresh context on ``connection`` (tests only); returns its engine."""
    settings.setdefault('max_retries', 0)
    _replace(dict(settings, connection=connection))
    return get_engine()


def _replace(settings):
    global _CONTEXT
    if (settings.get('connection') or '').startswith('sqlite'):
        # sqlite's pools refuse pool_timeout; None keeps enginefacade from
        # adding [database]'s own.
        settings['pool_timeout'] = None
    with _LOCK:
        old, _CONTEXT = _CONTEXT, enginefacade.transaction_context()
        _CONTEXT.configure(**settings)
    old.dispose_pool()


def get_engine():
    """The writer engine (migrations, tests)."""
    return _CONTEXT.writer.get_engine()


def writer():
    """A write transaction: ``with writer() as session: ...``."""
    return _CONTEXT.writer.using(_Scope())


def reader():
    """A read-only transaction."""
    return _CONTEXT.reader.using(_Scope())
