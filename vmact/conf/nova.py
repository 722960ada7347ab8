"""Options of the ``nova`` backend driver, read from its agent's section.

Besides vmact's own options, an agent section holds keystoneauth1's session
options (TLS towards Keystone and Nova) and, in ``service`` mode, its auth
options (``auth_type`` and the chosen plugin's options, e.g. ``auth_url``,
``username``, ``password`` for ``password``, or
``application_credential_id`` and ``application_credential_secret`` for
``v3applicationcredential``)::

    [scloudm]
    backend = nova
    auth_mode = token

    [pbs]
    backend = nova
    auth_mode = service
    auth_type = v3applicationcredential
    auth_url = https://keystone.pbs.example.com/v3
    application_credential_id = ...
    application_credential_secret = ...
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

TOKEN = 'token'
SERVICE = 'service'

# keystoneauth's single ``timeout`` is replaced by connect_timeout and
# read_timeout, which also honour the request's deadline.
_REPLACED_SESSION_OPTS = ('timeout',)

NOVA_OPTS = [
    cfg.StrOpt('auth_mode', default=TOKEN,
               choices=[(TOKEN, 'Act as the caller: forward the validated '
                         'Keystone token to Nova (no extra Keystone call). '
                         'Nova enforces its own policy on the caller.'),
                        (SERVICE, 'Act with the credentials of this '
                         'section (auth_type and its options), possibly '
                         'on another cloud. Every server is checked to '
                         'belong to the request\'s tenant_id before it is '
                         'touched.')],
               help='Whose credentials are used towards Nova.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Which catalog endpoint of Nova to call.'),
    cfg.StrOpt('microversion', default='2.1', regex=r'^2\.[0-9]+$',
               help='Compute API microversion sent with every call, '
                    '"2.N". It must be explicit: no version discovery is '
                    'done.'),
    cfg.IntOpt('max_concurrency_per_request', default=32, min=1,
               help='Most Nova calls one request has in flight at once.'),
    cfg.IntOpt('max_concurrency', default=64, min=1,
               help='Most Nova calls this agent has in flight at once in '
                    'one process, all requests together. Also the size of '
                    'the HTTP connection pool kept per Nova host.'),
    cfg.FloatOpt('connect_timeout', default=5.0, min=0.01,
                 help='Seconds to wait for a connection to Nova (or '
                      'Keystone, in service mode).'),
    cfg.FloatOpt('read_timeout', default=30.0, min=0.01,
                 help='Seconds to wait for each answer from Nova. A call '
                      'never outlives the request\'s request_deadline.'),
    cfg.IntOpt('select_page_size', default=1000, min=1, max=1000,
               help='Servers asked per page (Nova\'s "limit") when '
                    '"select" lists the tenant\'s servers; Nova\'s own '
                    '[api] max_limit (1000 by default) caps it too.'),
    cfg.IntOpt('select_max_pages', default=20, min=1,
               help='Most pages one "select" reads; a selection that '
                    'needs more is a 400 asking to narrow it.'),
    cfg.ListOpt('cross_project_roles', default=['admin'],
                help='Roles with which Nova lets a token reach servers of '
                     'other projects. In token mode a caller holding one '
                     'of them has each server\'s owner checked, as does '
                     'any caller acting for a project other than its '
                     'token\'s.'),
]


def session_opts():
    """keystoneauth1's session options (cafile, insecure, ...) we honour."""
    return [opt for opt in ks_loading.get_session_conf_options()
            if opt.name not in _REPLACED_SESSION_OPTS]


def list_opts():
    """Every option registered in a nova agent's section before load.

    The auth plugin's own options are registered by keystoneauth when the
    plugin is loaded, since they depend on ``auth_type``.
    """
    return (NOVA_OPTS + session_opts()
            + ks_loading.get_auth_common_conf_options())


def list_sample_opts(auth_type='password'):
    """list_opts() plus one auth plugin's options, for a sample config."""
    return list_opts() + ks_loading.get_auth_plugin_conf_options(auth_type)
