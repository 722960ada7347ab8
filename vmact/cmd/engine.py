"""``vmact-engine``: run jobs from the database, told of new ones by RPC.

An oslo.service service on its threading backend (selected by
:mod:`vmact.jobs`; eventlet is never monkey-patched): the launcher runs
the engine in a worker process; SIGTERM stops it gracefully: no new
claims, each runner finishes its current chunk, the leases of unfinished
jobs are released so another engine takes them over at once. SIGHUP
mutates the configuration. With ``[DEFAULT] transport_url`` the engine
also listens on ``[jobs] topic``; without it, it finds jobs by its
database scan only.

Run several per host or across hosts against one database (and one
RabbitMQ): they share the jobs through their leases.
"""

import sys
import threading

from vmact import jobs  # noqa: oslo.service's threading backend first

from oslo_log import log as logging
from oslo_service import service as os_service

from vmact import backends
from vmact import conf as vmact_conf
from vmact.db import api as db
from vmact import exception
from vmact.jobs import engine as job_engine
from vmact.jobs import rpc
from vmact import service

LOG = logging.getLogger(__name__)


class EngineService(os_service.ServiceBase):
    """The engine and its RPC server, as one oslo.service service.

    :param agents: {agent: backend}, built before the launcher starts.
    """

    def __init__(self, conf, agents):
        self.conf = conf
        self.agents = agents
        self.engine = None
        self.server = None
        self._stopped = threading.Event()

    def start(self):
        db.configure(self.conf)
        self.engine = job_engine.Engine(self.conf, self.agents)
        if rpc.transport_url(self.conf):
            self.server = rpc.get_server(self.conf, self.engine)
            self.server.start()
            LOG.info('vmact-engine %s listening on topic %s',
                     self.engine.engine_id, self.conf.jobs.topic)
        else:
            LOG.info('vmact-engine %s: no transport_url; finding jobs by '
                     'database scan every %ss', self.engine.engine_id,
                     self.conf.jobs.scan_interval)
        self.engine.start()

    def stop(self, graceful=True):
        """Stop listening, then the engine (see the module)."""
        if self.server is not None:
            self.server.stop()
        if self.engine is not None:
            stuck = self.engine.stop(graceful=graceful)
            if stuck:
                LOG.warning('Jobs still in a call at stop keep their lease '
                            'until it expires: %s', ', '.join(stuck))
        if self.server is not None:
            self.server.wait()
        self._stopped.set()

    def wait(self):
        self._stopped.wait()

    def reset(self):
        """SIGHUP: the configuration was mutated; nothing to rebuild."""


def main(argv=None):
    conf = vmact_conf.CONF
    rpc.register_opts(conf)
    try:
        service.prepare_service(sys.argv[1:] if argv is None else argv)
        agents = backends.load_agents(conf)
    except exception.ConfigError as e:
        sys.stderr.write('vmact-engine: configuration error: %s\n' % e)
        return 2
    launcher = os_service.launch(conf, EngineService(conf, agents),
                                 workers=1, restart_method='mutate')
    return launcher.wait() or 0


if __name__ == '__main__':
    sys.exit(main())
