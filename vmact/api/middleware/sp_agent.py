"""Route each request to the backend of the vendor its ``Sp-Agent`` names.

Agents are loaded once, when the pipeline is built (see
:func:`vmact.backends.load_agents`); a request only picks one. No header
means ``[api] default_agent``; an unknown name is a 400 listing the known
ones.
"""

import webob.dec

from vmact.api import results
from vmact import backends
from vmact import conf as vmact_conf
from vmact.exception import quote

ENV_KEY = 'vmact.backend'


class SpAgentRouter(object):
    """Put the chosen agent's backend in ``environ['vmact.backend']``."""

    def __init__(self, app, agents, default_agent):
        self.app = app
        self.agents = agents
        self.default_agent = default_agent

    @webob.dec.wsgify
    def __call__(self, req):
        name = req.headers.get('Sp-Agent')
        name = self.default_agent if name is None else name.strip()
        backend = self.agents.get(name)
        if backend is None:
            return results.error_response(
                400, 'Unknown Sp-Agent %s; known agents: %s.'
                % (quote(name), ', '.join(sorted(self.agents))))
        req.environ[ENV_KEY] = backend
        return req.get_response(self.app)


def filter_factory(global_conf, **local_conf):
    conf = vmact_conf.CONF
    agents = backends.load_agents(conf)

    def _filter(app):
        return SpAgentRouter(app, agents, conf.api.default_agent)
    return _filter
