"""The ``[api]`` group: how the service listens, authenticates and limits."""

from oslo_config import cfg

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
               help='The Paste Deploy file; a relative path is looked up '
                    'beside the config files and in the usual config '
                    'directories.'),
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address vmact-api listens on (the console '
                            'script only; Apache chooses its own).'),
    cfg.PortOpt('port', default=8790,
                help='Port vmact-api listens on (the console script '
                     'only).'),
    cfg.IntOpt('server_threads', default=16, min=1,
               help='Worker threads of the vmact-api HTTP server.'),
    cfg.IntOpt('backlog', default=128, min=1,
               help='Listen backlog of the vmact-api socket: connections '
                    'the kernel queues while every thread is busy.'),
    cfg.IntOpt('keepalive_connections', default=100, min=0,
               help='Idle keep-alive connections vmact-api holds open '
                    'for reuse; past this, responses close the '
                    'connection.'),
    cfg.FloatOpt('shutdown_timeout', default=30, min=0,
                 help='Seconds vmact-api gives requests in flight to '
                      'finish after SIGTERM.'),
    cfg.IntOpt('unauthorized_status', default=401, choices=[401, 400],
               help='Status for a missing, invalid or expired token. The '
                    'seed document shows 400 with reason "Unauthorized"; '
                    'set 400 for clients written against that sample.'),
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
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
