"""Route each request to the backend of the vendor its ``Sp-Agent`` names.

Agents are loaded once, when the pipeline is built (see
:func:`vmact.backends.load_agents`); a request only picks one. No header
means ``[api] default_agent``; an unknown name is a 400 listing the known
ones.
"""

from vmact.api import middleware
from vmact.api import results
from vmact import backends
from vmact import conf as vmact_conf
from vmact.exception import quote


class SpAgentRouter(middleware.Filter):
    """Put the chosen agent's backend in ``environ['vmact.backend']``.

    Every agent, too (``environ['vmact.agents']``): the in-process job
    engine acts through the same backends as the request.
    """

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        self.agents = backends.load_agents(vmact_conf.CONF)
        self.default_agent = vmact_conf.CONF.api.default_agent

    def process_request(self, req):
        name = req.environ.get('HTTP_SP_AGENT')
        name = self.default_agent if name is None else name.strip()
        backend = self.agents.get(name)
        if backend is None:
            return results.error_response(
                400, 'Unknown Sp-Agent %s; known agents: %s.'
                % (quote(name), ', '.join(sorted(self.agents))))
        req.environ[middleware.BACKEND_KEY] = backend
        req.environ[middleware.AGENTS_KEY] = self.agents
