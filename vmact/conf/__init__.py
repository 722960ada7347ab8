"""vmact's configuration: one module per option group.

Agent sections are dynamic (one per name in ``[api] enabled_agents``), so
their options are registered when the agents load, by
:func:`vmact.conf.agent.register_agent_opts`.
"""

from oslo_config import cfg
from oslo_log import log

from vmact.conf import api
from vmact.conf import database
from vmact.conf import jobs
from vmact.conf import metrics
from vmact.conf import trustee

CONF = cfg.CONF

api.register_opts(CONF)
database.register_opts(CONF)
jobs.register_opts(CONF)
metrics.register_opts(CONF)
trustee.register_opts(CONF)
log.register_options(CONF)
