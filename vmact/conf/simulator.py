"""Options of the ``simulator`` driver, read from its agent's section."""

from oslo_config import cfg

OPTS = [
    cfg.ListOpt('regions', default=['RegionOne'],
                help='Regions the simulated cloud has.'),
    cfg.ListOpt('tenants', default=[],
                help='Tenants that get servers_per_tenant generated '
                     'servers in every region, named '
                     '<tenant>-<region>-<n>.'),
    cfg.IntOpt('servers_per_tenant', default=0, min=0, max=10000,
               help='How many ACTIVE servers to generate per tenant and '
                    'region.'),
    cfg.ListOpt('servers', default=[],
                help='Servers to create, each as '
                     'tenant_id:region:server_id[:STATUS], with STATUS one '
                     'of ACTIVE (default), SHUTOFF, PAUSED, SUSPENDED, '
                     'ERROR.'),
    cfg.ListOpt('tags', default=[],
                help='Tags of simulated servers, for "select": each item '
                     'server_id=tag[/tag...] ("/" separates tags, as no '
                     'Nova tag holds one), applied to the servers of that '
                     'ID in every tenant and region. A tag is 1 to 60 '
                     'characters without "," or "/", as in Nova.'),
    cfg.FloatOpt('transition_delay', default=2.0, min=0,
                 help='Seconds an action takes to settle: until then the '
                      'server shows its task state (powering-off, '
                      'rebooting, ...), as Nova does.'),
]


def list_opts():
    return OPTS
