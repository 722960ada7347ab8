"""Development authentication: the token names the caller, unverified.

``X-Auth-Token: user[:project]`` (project defaults to user; the user
``admin`` gets the admin role, anyone else member and reader). A token is
still required. Like Placement's ``NoAuthMiddleware``, the filter answers
with the headers keystonemiddleware sets for a valid token
(``X-Identity-Status: Confirmed``, ``X-User-Id``, ``X-Project-Id``,
``X-Roles``), after dropping any identity header the client sent, so the
token-auth filter builds the context in either strategy. It logs a
warning at start and refuses to start when any enabled agent uses a
backend other than the simulator, so noauth can never power real servers.
"""

import re

from oslo_log import log as logging
import webob.exc

from vmact.api import middleware
from vmact import conf as vmact_conf
from vmact.conf import agent as agent_conf
from vmact import exception

LOG = logging.getLogger(__name__)
TOKEN = re.compile(r'([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_-]{1,64}))?')
#: The environ keys of the identity headers keystonemiddleware sets and
#: oslo.context reads; a client's own are dropped.
IDENTITY_PREFIXES = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_SERVICE_',
                     'HTTP_X_USER', 'HTTP_X_PROJECT_', 'HTTP_X_TENANT',
                     'HTTP_X_DOMAIN_', 'HTTP_X_ROLE', 'HTTP_X_IS_ADMIN',
                     'HTTP_X_SYSTEM_SCOPE', 'HTTP_OPENSTACK_SYSTEM_SCOPE')
ADMIN_ROLES = 'admin'
MEMBER_ROLES = 'member,reader'


class NoAuth(middleware.Filter):
    """Set keystonemiddleware's identity headers from the token's text."""

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        check_only_simulators(vmact_conf.CONF)
        LOG.warning('auth_strategy = noauth: tokens are NOT validated. Use '
                    'it for development only.')

    def process_request(self, req):
        environ = req.environ
        for key in [k for k in environ if k.startswith(IDENTITY_PREFIXES)]:
            del environ[key]
        match = TOKEN.fullmatch(environ.get('HTTP_X_AUTH_TOKEN', ''))
        if not match:
            return webob.exc.HTTPUnauthorized()
        user, project = match.group(1), match.group(2) or match.group(1)
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        environ['HTTP_X_USER_ID'] = user
        environ['HTTP_X_PROJECT_ID'] = project
        environ['HTTP_X_ROLES'] = (ADMIN_ROLES if user == 'admin'
                                   else MEMBER_ROLES)


def check_only_simulators(conf):
    """Raise ConfigError unless every enabled agent uses the simulator."""
    for agent in conf.api.enabled_agents:
        agent_conf.register_agent_opts(conf, agent)
        if conf[agent].backend != 'simulator':
            raise exception.ConfigError(
                '[api] auth_strategy = noauth is for development and only '
                'serves simulator agents, but [%s] backend = %s'
                % (agent, conf[agent].backend))
