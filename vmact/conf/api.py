"""The ``[api]`` group: how the service listens, authenticates and limits."""

from oslo_config import cfg
from oslo_middleware import opts as sizelimit_opts

GROUP = cfg.OptGroup('api', title='vm_act API options')

OPTS = [
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Validate X-Auth-Token with Keystone '
                         '(keystonemiddleware).'),
                        ('noauth', 'Development only: any token is '
                         'accepted as "user[:project]"; refuses to start '
                         'unless every agent uses the simulator.')],
               help='How requests are authenticated. Selects the paste '
                    'pipeline of the same name in api-paste.ini.'),
    cfg.StrOpt('api_paste_config', default='api-paste.ini',
               help='The Paste Deploy file. A relative path is looked up '
                    'in --config-dir, beside the config files, in '
                    '~/.vmact, ~, /etc/vmact and /etc, then in vmact\'s '
                    'own installation (the api-paste.ini pip put in '
                    '<prefix>/etc/vmact), so an installed vmact needs no '
                    'copy of it.'),
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address vmact-api listens on (the console '
                            'script only; Apache chooses its own).'),
    cfg.PortOpt('port', default=8790,
                help='Port vmact-api listens on (the console script '
                     'only).'),
    cfg.IntOpt('server_threads', default=16, min=1,
               help='Worker threads of vmact-api: requests served at '
                    'once. A request reaches a thread only once it has '
                    'arrived whole, so slow clients hold no thread.'),
    cfg.IntOpt('backlog', default=128, min=1,
               help='Listen backlog of the vmact-api socket: connections '
                    'the kernel queues while vmact-api has '
                    'max_connections open.'),
    cfg.IntOpt('max_connections', default=500, min=1,
               help='Client connections vmact-api keeps open at once '
                    '(idle keep-alive and still-arriving requests '
                    'included); past this it accepts no more until some '
                    'close, and new ones wait in the backlog. Keep it '
                    'well below the process\'s open-file limit.'),
    cfg.IntOpt('keepalive_connections', default=100, min=0,
               deprecated_for_removal=True,
               deprecated_reason='vmact-api keeps idle connections in its '
                                 'event loop, where they hold no thread; '
                                 'max_connections bounds all connections.',
               help='Ignored: see max_connections.'),
    cfg.IntOpt('client_timeout', default=20, min=1,
               help='Seconds vmact-api gives a client to send a whole '
                    'request, head and body, counted from when the '
                    'connection opened or its previous response was '
                    'sent (a request trickling in byte by byte gets no '
                    'more); also how long an idle keep-alive connection '
                    'stays open. Past it the connection is closed '
                    'without an answer. Checked every second.'),
    cfg.IntOpt('max_request_header_size', default=65536, min=1024,
               help='Largest request head (request line and header '
                    'fields, in bytes) vmact-api reads; a larger one is '
                    'answered 431 in the error format and the connection '
                    'closed. The body\'s limit is [oslo_middleware] '
                    'max_request_body_size (413). Apache applies its own '
                    'LimitRequestLine, LimitRequestFieldSize and '
                    'LimitRequestFields instead.'),
    cfg.FloatOpt('shutdown_timeout', default=30, min=0,
                 help='Seconds vmact-api gives requests in flight to '
                      'finish after SIGTERM.'),
    cfg.IntOpt('unauthorized_status', default=401, choices=[401, 400],
               help='Status for a missing, invalid or expired token (or '
                    'service token); the body\'s reason is "Unauthorized" '
                    'either way. Set 400 for clients that expect 400 '
                    'there.'),
    cfg.BoolOpt('revalidate_action_tokens', default=True,
                help='Validate the token of every action request (any '
                     'method but GET and HEAD) with Keystone, even when '
                     'keystonemiddleware\'s token cache knows it, so '
                     'that a token revoked in Keystone cannot act a '
                     'moment later: one Keystone call per action '
                     'request, whatever the number of servers. Status '
                     'reads always use the cache, so a revoked token '
                     'can still read for up to [keystone_authtoken] '
                     'token_cache_time (300 s). False: actions use the '
                     'cache too, and accept a revoked token for that '
                     'long.'),
    cfg.ListOpt('enabled_agents', default=['scloudm'],
                help='The Sp-Agent values this service serves. Each name '
                     'has a config section of its own naming its backend '
                     'driver and that driver\'s options.'),
    cfg.StrOpt('default_agent', default='scloudm',
               help='The agent used when a request has no Sp-Agent '
                    'header. Must be one of enabled_agents.'),
    cfg.IntOpt('max_servers_per_request', default=500, min=1,
               help='Most server IDs one request may name (counted before '
                    'duplicates are dropped).'),
    cfg.FloatOpt('max_wait', default=600, min=0,
                 help='Largest "wait" (seconds) a request may ask for.'),
    cfg.FloatOpt('max_waiting_share', default=0.5, min=0, max=0.9,
                 help='Share of a process\'s worker threads that requests '
                      'with "wait" may hold at once (rounded down, at '
                      'least one request). Beyond it such a request gets '
                      '429 with Retry-After and nothing is done, so the '
                      'other threads stay free for the health check and '
                      'requests that do not wait. The threads are '
                      'mod_wsgi\'s threads per process under Apache, '
                      'otherwise server_threads (set it to the thread '
                      'count of any other WSGI server).'),
]


#: oslo.middleware's sizelimit default (112 KiB) cannot carry a job of
#: 10,000 UUIDs (about 390 KB); 1 MiB can, with 64-character IDs too.
MAX_REQUEST_BODY_SIZE = 1048576


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
    conf.register_opts(sizelimit_opts.list_opts_sizelimit()[0][1],
                       group='oslo_middleware')
    conf.set_default('max_request_body_size', MAX_REQUEST_BODY_SIZE,
                     group='oslo_middleware')


def list_opts():
    return {GROUP: OPTS}
