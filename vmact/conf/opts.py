"""Options for oslo-config-generator (entry point ``oslo.config.opts``).

Agent sections are named by the operator, so the sample shows one example
section per driver: ``[scloudm]`` served by Nova, ``[simulator]`` by the
in-memory simulator, ``[ec2]`` and ``[ecs]`` by libcloud (ownership by
tag, and by one account per tenant). Copy and rename them for each agent in
``[api] enabled_agents``.
"""

from oslo_config import cfg

from vmact.conf import agent
from vmact.conf import api
from vmact.conf import database
from vmact.conf import jobs
from vmact.conf import libcloud
from vmact.conf import metrics
from vmact.conf import nova
from vmact.conf import simulator
from vmact.conf import trustee

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
LIBCLOUD_TAG_EXAMPLE = cfg.OptGroup(
    'ec2', title='Example agent served by libcloud, ownership by tag',
    help='An agent section for the libcloud driver (here EC2) with one '
         'vendor account: provider, regions, key and secret, and '
         'owner_tag, the tag key whose value on an instance must equal '
         'the tenant_id. EC2 behind a host override needs '
         'driver_options = signature_version:4.')
LIBCLOUD_ACCOUNTS_EXAMPLE = cfg.OptGroup(
    'ecs', title='Example agent served by libcloud, one account per tenant',
    help='An agent section for the libcloud driver where each tenant has '
         'its own vendor account: tenant_credentials maps each tenant_id '
         'to its key and secret; leave owner_tag unset (or set it to '
         'check tags as well). Tenants not listed have no servers.')


def list_opts():
    return [
        (api.GROUP, api.OPTS),
        ('DEFAULT', [database.STATE_PATH]),
        ('database', database.list_opts()['database']),
        (jobs.GROUP, jobs.OPTS),
        (metrics.GROUP, metrics.OPTS),
        (trustee.GROUP, trustee.list_opts()[trustee.GROUP]),
        (NOVA_EXAMPLE, agent.OPTS + nova.list_sample_opts()),
        (SIMULATOR_EXAMPLE, agent.OPTS + simulator.list_opts()),
        (LIBCLOUD_TAG_EXAMPLE, agent.OPTS + libcloud.list_opts()),
        (LIBCLOUD_ACCOUNTS_EXAMPLE, agent.OPTS + libcloud.list_opts()),
    ]


def set_sample_defaults():
    """oslo-config-generator's hook: vmact's defaults in the sample.

    oslo.db's ``[database]`` defaults as vmact sets them, and no
    ``transport_url`` (oslo.messaging's own default is ``rabbit://``;
    vmact's empty default runs jobs in-process).
    """
    database.set_sample_defaults()
    import oslo_messaging
    from oslo_messaging import transport
    oslo_messaging.set_transport_defaults('vmact')
    # No public setter for transport_url's default.
    cfg.set_defaults(transport._transport_opts, transport_url=None)
