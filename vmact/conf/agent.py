"""Options every agent section has, whatever its backend driver.

An agent is configured like a Cinder backend: its name is listed in
``[api] enabled_agents`` and its section, named after it, says which
driver of the ``vmact.backends`` namespace serves it::

    [pbs]
    backend = nova
    auth_mode = service
"""

from oslo_config import cfg

OPTS = [
    cfg.StrOpt('backend',
               help='The backend driver for this agent: an entry point of '
                    'the vmact.backends namespace (simulator, nova, '
                    'libcloud). Required.'),
    cfg.FloatOpt('request_deadline', default=60, min=0.1,
                 help='Seconds one request may spend sending actions to '
                      'the backend, all servers together ("wait" comes on '
                      'top).'),
    cfg.FloatOpt('poll_interval', default=1.0, min=0.01,
                 help='First interval (seconds) between state reads while '
                      'waiting; it doubles up to poll_max_interval.'),
    cfg.FloatOpt('poll_max_interval', default=8.0, min=0.01,
                 help='Longest interval (seconds) between state reads '
                      'while waiting.'),
]


def register_agent_opts(conf, agent, driver_opts=()):
    """Register the common and the driver's options in ``agent``'s group."""
    conf.register_opts(OPTS, group=agent)
    if driver_opts:
        conf.register_opts(list(driver_opts), group=agent)
