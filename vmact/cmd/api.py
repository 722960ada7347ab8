"""``vmact-api``: serve vmact with waitress (:mod:`vmact.server`).

For development and small deployments; production runs the same
application under Apache mod_wsgi (:mod:`vmact.wsgi`).
"""

import signal
import sys

from oslo_log import log as logging

from vmact.api import pipeline
from vmact import conf as vmact_conf
from vmact import exception
from vmact.jobs import engine as job_engine
from vmact import server as vmact_server
from vmact import service

LOG = logging.getLogger(__name__)


def build_server(conf):
    """The server for ``conf``'s address, threads and limits."""
    return vmact_server.build(conf, pipeline.load_app(conf))


def main(argv=None):
    conf = vmact_conf.CONF
    try:
        service.prepare_service(sys.argv[1:] if argv is None else argv)
        server = build_server(conf)
    except exception.ConfigError as e:
        sys.stderr.write('vmact-api: configuration error: %s\n' % e)
        return 2

    def _stop(signum, frame):
        LOG.info('Signal %d: finishing requests in flight, then stopping',
                 signum)
        server.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info('vmact-api serving on http://%s:%s', server.effective_host,
             server.effective_port)
    server.serve(conf.api.shutdown_timeout)
    # The in-process job engine (no transport_url) releases its leases.
    job_engine.reset_local_engine()
    LOG.info('vmact-api stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
