"""vmact's Prometheus metrics, and the helpers that count them.

One :class:`Metrics` per process, built by :func:`setup` (or on first
use, from ``vmact.conf.CONF``). With a multi-process directory
(``PROMETHEUS_MULTIPROC_DIR``, else ``[metrics] multiproc_dir``, which
:func:`setup` copies into that variable) every process of the host writes
its values to files there and :func:`exposition` sums them
(``multiprocess.MultiProcessCollector``); without one, the process's own
registry is shown. prometheus_client picks its value store when it is
first imported, so this module imports it only in :func:`setup` and makes
it look at the variable again. doc/source/metrics.rst lists the metrics.
"""

import contextlib
import glob
import os
import re
import threading
import time

from oslo_log import log as logging

from vmact.conf import metrics as metrics_conf

LOG = logging.getLogger(__name__)

MULTIPROC_ENV = 'PROMETHEUS_MULTIPROC_DIR'
#: Set by the vm_act app: the request's action (``os-stop``, ``show``...).
ACTION_KEY = 'vmact.metrics.action'
#: Label value when the request ended before the agent or action was known.
UNKNOWN = 'none'
#: Seconds; a batch call may take up to the agent's request deadline.
BACKEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                   60, 120, 300)
_LIVE_FILE = re.compile(r'gauge_live\w*?_(\d+)\.db$')

_lock = threading.Lock()
_metrics = None


class Metrics(object):
    """The metric objects of this process.

    :param multiproc_dir: None for a registry of this process alone.
    """

    def __init__(self, multiproc_dir=None):
        import prometheus_client as prom
        self.prom = prom
        self.multiproc_dir = multiproc_dir
        self.registry = None if multiproc_dir else prom.CollectorRegistry()
        kw = {'registry': self.registry}
        live = {'multiprocess_mode': 'livesum'}
        self.requests = prom.Counter(
            'vmact_requests', 'API requests answered, by agent, action and '
            'HTTP status.', ['agent', 'action', 'status'], **kw)
        self.outcomes = prom.Counter(
            'vmact_server_outcomes', 'Per-server outcomes of actions '
            '(synchronous and jobs), by agent, action and code.',
            ['agent', 'action', 'code'], **kw)
        self.backend_seconds = prom.Histogram(
            'vmact_backend_call_seconds', 'Duration of one driver call for '
            'a batch of servers (show, act, received), by agent, region '
            'and call.', ['agent', 'region', 'call'],
            buckets=BACKEND_BUCKETS, **kw)
        self.in_flight = prom.Gauge(
            'vmact_requests_in_flight', 'API requests being served now.',
            **kw, **live)
        self.waiting = prom.Gauge(
            'vmact_requests_waiting', 'Requests holding a waiting slot '
            '(synchronous "wait") now.', **kw, **live)
        self.keystone = prom.Counter(
            'vmact_keystone_validations', 'Token validations sent to '
            'Keystone (cache misses), by result: valid, invalid, error.',
            ['result'], **kw)


def multiproc_dir(conf=None):
    """The multi-process directory: the environment's, else the option's."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path and conf is not None:
        metrics_conf.register_opts(conf)
        path = conf.metrics.multiproc_dir
    return path or None


def setup(conf=None):
    """Build this process's metrics once; returns them.

    A directory from ``[metrics] multiproc_dir`` is put in the
    environment first, so prometheus_client's value store (chosen from
    the environment) writes there.
    """
    global _metrics
    with _lock:
        if _metrics is None:
            path = multiproc_dir(conf)
            if path:
                os.environ[MULTIPROC_ENV] = path
            from prometheus_client import values
            values.ValueClass = values.get_value_class()
            _metrics = Metrics(path)
            LOG.debug('Prometheus metrics %s', 'in %s' % path if path
                      else 'of this process only')
        return _metrics


def get():
    """This process's metrics (built from ``vmact.conf.CONF`` if needed)."""
    if _metrics is None:
        from vmact import conf as vmact_conf
        return setup(vmact_conf.CONF)
    return _metrics


def reset_for_tests():
    """Forget this process's metrics (the next use builds new ones)."""
    global _metrics
    with _lock:
        _metrics = None


def request_done(agent, action, status):
    get().requests.labels(agent or UNKNOWN, action or UNKNOWN,
                          str(status)).inc()


def count_outcomes(agent, action, outcomes):
    """Count each :class:`vmact.backends.base.Outcome` by its code."""
    counter = get().outcomes
    for outcome in outcomes:
        counter.labels(agent, action, str(outcome.code)).inc()


def keystone_validation(result):
    get().keystone.labels(result).inc()


@contextlib.contextmanager
def backend_call(agent, region, call):
    """Time the driver call made meanwhile (also when it raises)."""
    histogram = get().backend_seconds
    start = time.monotonic()
    try:
        yield
    finally:
        histogram.labels(agent, region, call).observe(
            time.monotonic() - start)


@contextlib.contextmanager
def gauge_up(name):
    """Add one to the gauge ``name`` (in_flight, waiting) meanwhile."""
    gauge = getattr(get(), name)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def reap_dead_processes(path):
    """Remove the live gauges of processes of this host that are gone.

    A mod_wsgi daemon process or an engine that was killed leaves its
    in-flight count behind; livesum would keep adding it.
    """
    from prometheus_client import multiprocess
    for name in glob.glob(os.path.join(path, 'gauge_live*.db')):
        match = _LIVE_FILE.search(os.path.basename(name))
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), path)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exposition(extra_collectors=()):
    """(body, content type) of a scrape: every process's metrics.

    :param extra_collectors: collectors asked at scrape time only, by
        this process (e.g. :class:`vmact.metrics_jobs.JobsCollector`).
    """
    metrics = get()
    prom = metrics.prom
    registry = prom.CollectorRegistry()
    if metrics.multiproc_dir:
        from prometheus_client import multiprocess
        reap_dead_processes(metrics.multiproc_dir)
        multiprocess.MultiProcessCollector(registry,
                                           path=metrics.multiproc_dir)
    else:
        registry.register(_Forward(metrics.registry))
    for collector in extra_collectors:
        registry.register(collector)
    return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST


class _Forward(object):
    """A collector showing another registry's metrics."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()
