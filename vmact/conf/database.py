"""The ``[database]`` group (oslo.db's options) with bounded defaults.

The default database is a sqlite file under ``[DEFAULT] state_path``, so
a development install needs no other service. Defaults fail fast when the
database cannot be reached: no connection retries, a 5 s wait for a pool
slot, and ``connect_timeout`` added to PostgreSQL and MySQL URLs that name
none (libpq and PyMySQL otherwise wait without limit for a server that
accepts the TCP connection but does not answer).
"""

from oslo_config import cfg
from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:///$state_path/vmact.sqlite'

STATE_PATH = cfg.StrOpt(
    'state_path', default='/var/lib/vmact',
    help='Directory where vmact keeps its state: the default sqlite jobs '
         'database.')

OPTS = [
    cfg.IntOpt('connect_timeout', default=5, min=0,
               help='Seconds to connect to PostgreSQL or MySQL, added to '
                    'the [database] connection URL as connect_timeout '
                    'when the URL names none (0: add nothing). libpq\'s '
                    'smallest effective value is 2. A query on an open '
                    'connection to a server that stopped answering is '
                    'not bounded by it: PyMySQL URLs may add '
                    'read_timeout; libpq has no read timeout (its '
                    'keepalives_* and tcp_user_timeout parameters bound '
                    'a lost network, not a frozen server): see '
                    'query_timeout.'),
    cfg.FloatOpt('query_timeout', default=5, min=0,
                 help='Seconds vmact waits for PostgreSQL (psycopg2) to '
                      'answer any one round trip: a connect, a query, a '
                      'commit. A server that stops answering is then a '
                      'database error (503 for API requests) instead of a '
                      'hang. Process-wide (psycopg2\'s wait callback); 0 '
                      'waits without limit.'),
    cfg.BoolOpt('sync_on_startup', default=False,
                help='Bring the database schema up to date when vmact-api '
                     'or vmact-engine starts (as Placement\'s option of '
                     'that name). For a single process on the default '
                     'sqlite file (development); in production run '
                     '"vmact-manage db sync" once per upgrade instead.'),
]

DEFAULTS = {'max_retries': 0, 'pool_timeout': 5,
            'connection_recycle_time': 600}


def register_opts(conf):
    """Register (again: safe) and apply vmact's defaults.

    oslo.config's test fixture clears defaults set with set_default, so
    :func:`vmact.db.session.configure` applies them again each time.
    """
    if 'state_path' not in conf:
        conf.register_opt(STATE_PATH)
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION,
                            pool_timeout=DEFAULTS['pool_timeout'])
    for name, value in DEFAULTS.items():
        conf.set_default(name, value, group='database')
    conf.register_opts(OPTS, group='database')
    conf.set_default('connect_timeout', 5, group='database')


def set_sample_defaults():
    """oslo-config-generator's hook: show vmact's defaults in the sample."""
    cfg.set_defaults(db_options.database_opts, connection=DEFAULT_CONNECTION,
                     **DEFAULTS)


def list_opts():
    return {'DEFAULT': [STATE_PATH],
            'database': db_options.database_opts + OPTS}
