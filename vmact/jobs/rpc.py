"""Telling engines about new jobs, over oslo.messaging or in-process.

The database row is the truth; a message only saves the engines their
next scan. :func:`submitted` therefore never blocks the API and never
fails it: with ``[DEFAULT] transport_url`` set, it casts ``run_job`` to
``[jobs] topic`` from a background thread (no connection retry, each
socket operation bounded by ``[jobs] cast_timeout``); a failed cast is
one WARNING and the job is picked up by an engine's database scan within
``[jobs] scan_interval``. RabbitMQ down therefore means: the 202 is given
and the job runs once an engine scans (engines read the database, not
the queue). Without a transport URL the API process's own engine
(:func:`vmact.jobs.engine.local_engine`) claims the job at once.
"""

import threading

from oslo_log import log as logging
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from vmact.jobs import engine as job_engine

LOG = logging.getLogger(__name__)

#: Casts in flight at once; more are dropped (the scan finds the jobs).
MAX_CASTS_IN_FLIGHT = 32
#: The RPC API's version.
VERSION = '1.0'

_casts = threading.BoundedSemaphore(MAX_CASTS_IN_FLIGHT)
_lock = threading.Lock()
_transports = {}
#: oslo.messaging's options vmact sets defaults for (list_opts copies
#: them on each call: copied once).
_OPTS = []


def register_opts(conf):
    """oslo.messaging's ``[DEFAULT] transport_url`` and control_exchange.

    vmact's defaults: no transport URL (the in-process engine) and the
    exchange ``vmact``. The options are oslo.messaging's own (equal
    copies), so it registers them again without conflict.
    """
    if not _OPTS:
        wanted = ('transport_url', 'control_exchange')
        _OPTS.extend(o for group, opts in messaging_opts.list_opts()
                     if group in (None, 'DEFAULT')
                     for o in opts if o.name in wanted)
    conf.register_opts(_OPTS)
    conf.set_default('transport_url', None)
    conf.set_default('control_exchange', 'vmact')


def transport_url(conf):
    """``[DEFAULT] transport_url``, or None: the in-process engine."""
    register_opts(conf)
    return conf.transport_url or None


def _transport(conf):
    url = transport_url(conf)
    with _lock:
        if url not in _transports:
            _transports[url] = oslo_messaging.get_rpc_transport(conf)
        return _transports[url]


def submitted(conf, job_id, agents=None):
    """A job was written: have an engine run it. Never raises or waits.

    :param agents: the API's backends, for the in-process engine (it
        loads its own when not given).
    :returns: the thread doing the cast (tests join it), or None.
    """
    try:
        url = transport_url(conf)
        if url is None:
            job_engine.local_engine(conf, agents).run_job(job_id)
            return None
    except Exception as e:
        LOG.warning('Job %s: not handed to an engine now (%s: %s); an '
                    'engine scan will find it', job_id, type(e).__name__, e)
        return None
    if not _casts.acquire(blocking=False):
        LOG.warning('Job %s: %d casts already in flight; an engine scan '
                    'will find it', job_id, MAX_CASTS_IN_FLIGHT)
        return None
    thread = threading.Thread(target=_cast, args=(conf, job_id),
                              name='vmact-cast', daemon=True)
    thread.start()
    return thread


def _cast(conf, job_id):
    try:
        client = oslo_messaging.get_rpc_client(
            _transport(conf), oslo_messaging.Target(
                topic=conf.jobs.topic, version=VERSION))
        client.prepare(timeout=conf.jobs.cast_timeout, retry=0).cast(
            {}, 'run_job', job_id=job_id)
        LOG.debug('Job %s: cast to %s', job_id, conf.jobs.topic)
    except Exception as e:
        LOG.warning('Job %s: the cast to the engines failed (%s: %s); an '
                    'engine scan will find it within %ss', job_id,
                    type(e).__name__, e, conf.jobs.scan_interval)
    finally:
        _casts.release()


class EngineEndpoint(object):
    """The engine's RPC API."""

    target = oslo_messaging.Target(version=VERSION)

    def __init__(self, engine):
        self.engine = engine

    def run_job(self, ctxt, job_id):
        """Claim ``job_id`` if a slot is free (else the scan will)."""
        return self.engine.run_job(job_id)


def get_server(conf, engine):
    """An RPC server on ``[jobs] topic`` for ``engine`` (not started)."""
    target = oslo_messaging.Target(topic=conf.jobs.topic,
                                   server=engine.engine_id)
    return oslo_messaging.get_rpc_server(
        _transport(conf), target, [EngineEndpoint(engine)],
        executor='threading',
        access_policy=oslo_messaging.DefaultRPCAccessPolicy)


def reset():
    """Forget the cached transports (tests)."""
    with _lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.cleanup()
