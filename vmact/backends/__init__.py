"""Backend drivers and the loader that builds one per agent."""

from oslo_log import log as logging
import stevedore

from vmact.conf import agent as agent_conf
from vmact import exception

LOG = logging.getLogger(__name__)
NAMESPACE = 'vmact.backends'


def driver_names():
    return sorted(stevedore.ExtensionManager(NAMESPACE).names())


def load_agents(conf):
    """Build the backend of every enabled agent, once, at start.

    :returns: {agent name: backend driver instance}
    :raises ConfigError: naming the section and option at fault.
    """
    agents = {}
    for agent in conf.api.enabled_agents:
        agent_conf.register_agent_opts(conf, agent)
        name = conf[agent].backend
        if not name:
            raise exception.ConfigError(
                '[%s] backend is required: one of %s'
                % (agent, ', '.join(driver_names())))
        try:
            driver_cls = stevedore.DriverManager(NAMESPACE, name).driver
        except stevedore.exception.NoMatches:
            raise exception.ConfigError(
                '[%s] backend = %s: no such driver; known drivers: %s'
                % (agent, name, ', '.join(driver_names())))
        agent_conf.register_agent_opts(conf, agent, driver_cls.list_opts())
        agents[agent] = driver_cls(conf, agent)
        LOG.info('Agent %s serves through the %s backend', agent, name)
    if conf.api.default_agent not in agents:
        raise exception.ConfigError(
            '[api] default_agent = %s is not among enabled_agents (%s)'
            % (conf.api.default_agent, ', '.join(agents)))
    return agents
