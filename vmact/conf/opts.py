"""Options for oslo-config-generator (entry point ``oslo.config.opts``).

Agent sections are named by the operator, so the sample shows one example
section per driver: ``[scloudm]`` served by Nova, ``[simulator]`` by the
in-memory simulator. Copy and rename them for each agent in
``[api] enabled_agents``.
"""

from oslo_config import cfg

from vmact.conf import agent
from vmact.conf import api
from vmact.conf import nova
from vmact.conf import simulator

NOVA_EXAMPLE = cfg.OptGroup(
    'scloudm', title='Example agent served by Nova',
    help='An agent section for the nova driver. Name the section after '
         'the agent (its Sp-Agent value) and list that name in [api] '
         'enabled_agents. auth_mode = token acts as the caller; '
         'auth_mode = service acts with the credentials of this section '
         '(auth_type, auth_url, ...).')
SIMULATOR_EXAMPLE = cfg.OptGroup(
    'simulator', title='Example agent served by the simulator',
    help='An agent section for the in-memory simulator (development and '
         'demos only; the only driver noauth accepts).')


def list_opts():
    return [
        (api.GROUP, api.OPTS),
        (NOVA_EXAMPLE, agent.OPTS + nova.list_sample_opts()),
        (SIMULATOR_EXAMPLE, agent.OPTS + simulator.list_opts()),
    ]
