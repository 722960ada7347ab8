"""Options of the ``libcloud`` backend driver, read from its agent's section.

One agent is one Apache Libcloud provider. Ownership (a vendor account is
not a vmact tenant) is set by ``owner_tag``, ``tenant_credentials`` or
both::

    [ec2]
    backend = libcloud
    provider = ec2
    regions = us-east-1, eu-west-1
    key = AKIA...
    secret = ...
    driver_options = signature_version:4
    owner_tag = vmact-tenant

    [ec2-accounts]
    backend = libcloud
    provider = ec2
    regions = us-east-1
    tenant_credentials = 8d3c...:AKIA...:secret1, 51fa...:AKIA...:secret2
"""

from oslo_config import cfg
from oslo_config import types

from vmact.backends import base

OPTS = [
    cfg.StrOpt('provider',
               help='The libcloud compute provider (a libcloud Provider '
                    'name: ec2, gce, aliyun_ecs, libvirt, ...). Required.'),
    cfg.ListOpt('regions', default=[],
                help='Regions of the provider this agent serves; a request '
                     'for another region is a 400 naming these. Required.'),
    cfg.StrOpt('key', secret=True,
               help='The agent\'s own account: key (EC2: access key ID). '
                    'Used for tenants without tenant_credentials.'),
    cfg.StrOpt('secret', secret=True,
               help='The agent\'s own account: secret (EC2: secret access '
                    'key).'),
    cfg.DictOpt('tenant_credentials', default={}, secret=True,
                help='Tenants with a vendor account of their own, as '
                     'tenant_id:key:secret pairs separated by commas. '
                     'Such a tenant\'s servers are read and acted on with '
                     'its own credentials only, so another tenant\'s '
                     'servers are out of its reach.'),
    cfg.StrOpt('owner_tag',
               help='Tag key whose value on an instance must equal the '
                    'request\'s tenant_id; any other instance is a 404, '
                    'never acted on. Required for tenants acting with the '
                    'agent\'s own key and secret: without it they have no '
                    'servers.'),
    cfg.HostAddressOpt('host',
                       help='Endpoint override: the API host (private or '
                            'test endpoints). Default: the provider\'s.'),
    cfg.PortOpt('port', help='Endpoint override: the API port.'),
    cfg.BoolOpt('secure', default=True,
                help='Endpoint override: use HTTPS (false only for test '
                     'endpoints on loopback).'),
    cfg.DictOpt('driver_options', default={},
                help='Extra keyword arguments for the libcloud driver\'s '
                     'constructor, as name:value pairs (EC2 behind a host '
                     'override: signature_version:4).'),
    cfg.ListOpt('reboot_types', default=[base.SOFT],
                item_type=types.String(choices=[base.HARD, base.SOFT]),
                help='Reboot types the provider\'s one reboot call honours; '
                     'any other is a 400 naming the agent. EC2\'s '
                     'RebootInstances asks the guest OS to restart: SOFT. '
                     'GCE\'s reset is a HARD reboot.'),
    cfg.FloatOpt('timeout', default=30.0, min=0.01,
                 help='Seconds to wait for each vendor call (connection '
                      'and each answer); never beyond the request\'s '
                      'request_deadline.'),
    cfg.IntOpt('throttle_retries', default=2, min=0,
               help='Times a vendor call refused by throttling (HTTP 429, '
                    'a throttling code such as EC2\'s RequestLimitExceeded, '
                    'or a 413 or 503 with Retry-After: the vendor did not '
                    'act) is sent again, reads, starts and stops alike '
                    '(a reboot never); then it is a 429. No other error is '
                    'ever resent: a timeout, a dropped connection or '
                    'another 5xx may have been accepted. 0: never '
                    'resend.'),
    cfg.FloatOpt('throttle_backoff', default=0.5, min=0,
                 help='Seconds to wait before the first resend of a '
                      'throttled call, doubled before each next one; a '
                      'Retry-After the vendor sends is waited instead. '
                      'No resend is made when its wait would pass the '
                      'request\'s request_deadline.'),
    cfg.IntOpt('max_concurrency_per_request', default=32, min=1,
               help='Most vendor calls one request has in flight at once.'),
    cfg.IntOpt('max_concurrency', default=64, min=1,
               help='Most vendor calls this agent has in flight at once in '
                    'one process, all requests together (and most libcloud '
                    'drivers kept per account and region).'),
]


def list_opts():
    return OPTS
