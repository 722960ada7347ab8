"""``vmact-api``: serve vmact with cheroot's threaded HTTP server.

For development and small deployments; production runs the same
application under Apache mod_wsgi (:mod:`vmact.wsgi`).
"""

import signal
import sys
import threading
import time

from cheroot import wsgi
from oslo_log import log as logging

from vmact.api import pipeline
from vmact import conf as vmact_conf
from vmact import exception
from vmact import service

LOG = logging.getLogger(__name__)


def build_server(conf):
    """The cheroot server for ``conf``'s host, port and thread count."""
    server = wsgi.Server((conf.api.host, conf.api.port),
                         pipeline.load_app(conf),
                         numthreads=conf.api.server_threads,
                         request_queue_size=conf.api.backlog,
                         server_name='vmact-api')
    server.shutdown_timeout = conf.api.shutdown_timeout
    server.keep_alive_conn_limit = conf.api.keepalive_connections
    return server


def main(argv=None):
    conf = vmact_conf.CONF
    try:
        service.prepare_service(sys.argv[1:] if argv is None else argv)
        server = build_server(conf)
    except exception.ConfigError as e:
        sys.stderr.write('vmact-api: configuration error: %s\n' % e)
        return 2
    stoppers = []

    def _stop_once_serving():
        while not server.ready:
            time.sleep(0.05)
        server.stop()

    def _stop(signum, frame):
        # cheroot's stop() joins the worker threads, which must not happen
        # inside a signal handler, and is a no-op until start() is ready.
        LOG.info('Signal %d: finishing requests in flight, then stopping',
                 signum)
        if not stoppers:
            stoppers.append(threading.Thread(target=_stop_once_serving,
                                             name='stopper', daemon=True))
            stoppers[0].start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info('vmact-api serving on http://%s:%d', conf.api.host,
             conf.api.port)
    server.start()
    for stopper in stoppers:
        stopper.join()
    LOG.info('vmact-api stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
