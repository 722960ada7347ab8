"""The engine: claims jobs with leases and runs each in a thread.

The database is the source of truth. An engine claims a job with a lease
(``[jobs] lease_time``) that a thread of its own renews every
``lease_renew_interval``; a job whose engine died is found by any
engine's scan (every ``scan_interval``) once its lease expired, and taken
over. At most ``max_running_jobs`` jobs run at once per engine. A lost
lease (another engine took the job over) stops that job's runner before
its next chunk. A graceful stop lets each runner finish its chunk, then
releases the leases of the jobs not finished, so another engine takes
them over at once; a runner still in a call past the bound keeps its
lease, which then expires (its calls were marked ``sending``, so they are
reconciled, never resent blindly).

``vmact-engine`` runs one engine (:mod:`vmact.cmd.engine`); an API
process without ``[DEFAULT] transport_url`` runs its own
(:func:`local_engine`).
"""

import os
import socket
import threading

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from vmact.db import api as db
from vmact.jobs import runner as job_runner

LOG = logging.getLogger(__name__)

_local = {}
_local_lock = threading.Lock()


def make_engine_id(conf=None):
    """``host:pid:random``, unique per engine process (and per restart).

    ``host`` is ``[DEFAULT] host`` where something registered it, else
    the machine's host name.
    """
    try:
        host = conf.host if conf is not None else None
    except cfg.NoSuchOptError:
        host = None
    return '%s:%d:%s' % (host or socket.gethostname(), os.getpid(),
                         uuidutils.generate_uuid()[:8])


class _Running(object):
    """One runner thread and what stops it."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.cancel = threading.Event()
        #: Set once the job is off this engine's hands (or never was).
        self.done = threading.Event()


class Engine(object):
    """Claims and runs jobs; see the module.

    :param agents: {agent name: backend}, as
        :func:`vmact.backends.load_agents` builds them.
    """

    def __init__(self, conf, agents, engine_id=None):
        self.conf = conf
        self.opts = conf.jobs
        self.agents = agents
        self.engine_id = engine_id or make_engine_id(conf)
        self._lock = threading.Lock()
        self._running = {}
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads = []

    def start(self):
        """Start the scan and lease-renewal threads."""
        LOG.info('Engine %s starting (at most %d jobs at once)',
                 self.engine_id, self.opts.max_running_jobs)
        for name, loop in (('scan', self._scan_loop),
                           ('renew', self._renew_loop)):
            thread = threading.Thread(target=loop, daemon=True,
                                      name='vmact-engine-%s' % name)
            thread.start()
            self._threads.append(thread)

    def running(self):
        """Ids of the jobs this engine runs now."""
        with self._lock:
            return sorted(self._running)

    def run_job(self, job_id):
        """Claim ``job_id`` now if a slot is free (the RPC endpoint).

        :returns: True when this engine took it; otherwise the scan will
            (here or elsewhere).
        """
        if self._stopping.is_set() or not self._has_slot():
            return False
        try:
            return self._claim(job_id)
        except Exception as e:
            LOG.warning('Job %s: not claimed now (%s); the scan will try '
                        'again', job_id, type(e).__name__)
            return False

    def scan(self):
        """Claim jobs nobody holds, up to the free slots; how many."""
        free = self._free_slots()
        if free <= 0 or self._stopping.is_set():
            return 0
        taken = 0
        for job_id in db.claimable_jobs(timeutils.utcnow(), free):
            if self._stopping.is_set() or not self._has_slot():
                break
            taken += self._claim(job_id)
        return taken

    def renew(self):
        """Renew every running job's lease; stop the runners that lost it."""
        for running in self._snapshot():
            try:
                kept = db.renew_lease(running.job_id, self.engine_id,
                                      timeutils.utcnow(),
                                      self.opts.lease_time)
            except Exception as e:
                LOG.warning('Job %s: lease not renewed (%s); trying again',
                            running.job_id, type(e).__name__)
                continue
            if not kept:
                LOG.warning('Job %s: lease lost to another engine; its '
                            'runner stops before its next chunk',
                            running.job_id)
                running.cancel.set()

    def stop(self, graceful=True, timeout=None):
        """Stop claiming; let runners finish their chunk; release leases.

        :param timeout: seconds to wait for the runners (default
            ``[jobs] lease_time``: past it the leases expire anyway).
        :returns: ids of jobs still running when the bound passed.
        """
        with self._lock:
            self._stopping.set()
            running = list(self._running.values())
        self._wake.set()
        for each in running:
            each.cancel.set()
        if not graceful:
            return [each.job_id for each in running]
        bound = timeutils.StopWatch(
            self.opts.lease_time if timeout is None else timeout).start()
        for each in running:
            each.done.wait(max(0.0, bound.leftover()))
        stuck = [each.job_id for each in running if not each.done.is_set()]
        for thread in self._threads:
            thread.join(max(0.0, bound.leftover()))
        LOG.info('Engine %s stopped%s', self.engine_id,
                 '; still in calls: %s' % ', '.join(stuck) if stuck else '')
        return stuck

    # Internals.

    def _snapshot(self):
        with self._lock:
            return list(self._running.values())

    def _free_slots(self):
        with self._lock:
            return self.opts.max_running_jobs - len(self._running)

    def _has_slot(self):
        return self._free_slots() > 0

    def _claim(self, job_id):
        with self._lock:
            if self._stopping.is_set() or job_id in self._running or \
                    len(self._running) >= self.opts.max_running_jobs:
                return False
            running = self._running[job_id] = _Running(job_id)
        try:
            job = db.claim_job(job_id, self.engine_id, timeutils.utcnow(),
                               self.opts.lease_time)
        except Exception:
            self._forget(job_id)
            raise
        if job is None:
            self._forget(job_id)
            return False
        backend = self.agents.get(job['agent'])
        if backend is None:
            LOG.error('Job %s: agent %s is not enabled in this engine; '
                      'released', job_id, job['agent'])
            self._release(job_id)
            self._forget(job_id)
            return False
        LOG.info('Job %s claimed by engine %s', job_id, self.engine_id)
        threading.Thread(target=self._run, args=(running, job, backend),
                         daemon=True, name='vmact-job-%s' % job_id[:8]).start()
        return True

    def _run(self, running, job, backend):
        finished = False
        try:
            if not running.cancel.is_set():
                finished = job_runner.JobRunner(
                    self.conf, backend, job, self.engine_id,
                    running.cancel).run()
        except Exception:
            LOG.exception('Job %s: its runner failed; released for a later '
                          'attempt', running.job_id)
        finally:
            if not finished:
                self._release(running.job_id)
            self._forget(running.job_id)
            self._wake.set()

    def _release(self, job_id):
        try:
            db.release_job(job_id, self.engine_id)
        except Exception as e:
            LOG.warning('Job %s: lease not released (%s); it expires',
                        job_id, type(e).__name__)

    def _forget(self, job_id):
        with self._lock:
            running = self._running.pop(job_id, None)
        if running is not None:
            running.done.set()

    def _scan_loop(self):
        while not self._stopping.is_set():
            try:
                self.scan()
            except Exception as e:
                LOG.warning('Engine %s: scan failed (%s); next in %ss',
                            self.engine_id, type(e).__name__,
                            self.opts.scan_interval)
            self._wake.wait(self.opts.scan_interval)
            self._wake.clear()

    def _renew_loop(self):
        while not self._stopping.wait(self.opts.lease_renew_interval):
            self.renew()


def local_engine(conf, agents=None):
    """The API process's own engine (no transport_url), started once.

    :param agents: the API's backends, so the engine acts through the
        same drivers; loaded from ``conf`` when not given.
    """
    with _local_lock:
        engine = _local.get('engine')
        if engine is None:
            if agents is None:
                from vmact import backends
                agents = backends.load_agents(conf)
            engine = _local['engine'] = Engine(conf, agents)
            engine.start()
        return engine


def reset_local_engine():
    """Stop and forget the process's local engine (tests)."""
    with _local_lock:
        engine = _local.pop('engine', None)
    if engine is not None:
        engine.stop(timeout=5)
