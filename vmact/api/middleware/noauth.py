"""Development authentication: the token names the caller, unverified.

``X-Auth-Token: user[:project]`` (project defaults to user; the user
``admin`` gets the admin role, anyone else member and reader). A token is
still required. The filter logs a warning at start and refuses to start
when any enabled agent uses a backend other than the simulator, so noauth
can never power real servers.
"""

import re

from oslo_log import log as logging
import webob.dec

from vmact.api import results
from vmact import conf as vmact_conf
from vmact.conf import agent as agent_conf
from vmact import context
from vmact import exception

LOG = logging.getLogger(__name__)
TOKEN = re.compile(r'([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_-]{1,64}))?')


class NoAuth(object):
    """Build a context from the token's text alone."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    @webob.dec.wsgify
    def __call__(self, req):
        match = TOKEN.fullmatch(req.headers.get('X-Auth-Token', ''))
        if not match:
            return results.unauthorized(self.conf.api.unauthorized_status)
        user, project = match.group(1), match.group(2) or match.group(1)
        roles = ['admin'] if user == 'admin' else ['member', 'reader']
        req.environ[context.ENV_KEY] = context.RequestContext(
            user_id=user, project_id=project, roles=roles,
            request_id=req.environ.get('openstack.request_id'))
        return req.get_response(self.app)


def check_only_simulators(conf):
    """Raise ConfigError unless every enabled agent uses the simulator."""
    for agent in conf.api.enabled_agents:
        agent_conf.register_agent_opts(conf, agent)
        if conf[agent].backend != 'simulator':
            raise exception.ConfigError(
                '[api] auth_strategy = noauth is for development and only '
                'serves simulator agents, but [%s] backend = %s'
                % (agent, conf[agent].backend))


def filter_factory(global_conf, **local_conf):
    conf = vmact_conf.CONF
    check_only_simulators(conf)
    LOG.warning('auth_strategy = noauth: tokens are NOT validated. Use it '
                'for development only.')

    def _filter(app):
        return NoAuth(app, conf)
    return _filter
