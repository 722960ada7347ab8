"""vmact's defaults for keystonemiddleware's ``[keystone_authtoken]``.

keystonemiddleware's own defaults let a call to Keystone wait forever
(``http_connect_timeout`` unset) and retry it three times. vmact sets
bounded defaults instead, with oslo.config's ``set_default``: a value in
vmact.conf still wins, and so does one in api-paste.ini.

With these defaults and a Keystone that does not answer (frozen, or a
host that drops packets), a request with a token the cache does not
know gets its 503 after at most 2 + 0.5 + 2 = 4.5 s (the validation, its
one retry and keystoneauth's 0.5 s back-off). Every call keystonemiddleware
can make for one request, each one answered just before its timeout:

============================================  ==========================
vmact's service token: discovery + POST       2 + 2 s (once per token)
identity endpoint discovery                   2 s (once per process)
token validation, one retry                   2 + 0.5 + 2 s
token cache: reserve + get, reserve + set     (1 + 1) + (1 + 1) s
============================================  ==========================

10.5 s for Keystone and 4 s for memcached: 14.5 s, within the 15 s the
docs promise. An ``X-Service-Token`` is validated as well (4.5 s more
for Keystone, 4 s for memcached). Each timeout bounds a connect and each
read, as requests does.
"""

from keystonemiddleware import auth_token  # noqa: F401 (registers the group)

GROUP = 'keystone_authtoken'

#: The option values vmact uses unless its configuration says otherwise.
DEFAULTS = {
    # Seconds to connect to Keystone, and for each read of its answer.
    'http_connect_timeout': 2,
    # One retry of a validation that failed to connect or timed out.
    'http_request_max_retries': 1,
    # memcached answers in well under a millisecond on its network.
    'memcache_pool_socket_timeout': 1,
    # Waiting longer for a pooled memcached connection than Keystone
    # takes to answer gains nothing: the cache is skipped instead.
    'memcache_pool_conn_get_timeout': 1,
}


def set_defaults(conf):
    """Apply :data:`DEFAULTS` to ``conf``'s ``[keystone_authtoken]``."""
    for name, value in DEFAULTS.items():
        conf.set_default(name, value, group=GROUP)
