"""Jobs on an in-memory sqlite database and a scripted simulator."""

import collections
import threading

from oslo_config import cfg
from oslo_utils import timeutils

from tests.unit.db import base as db_base
from vmact.backends import base
from vmact.backends import simulator
from vmact.conf import agent as agent_conf
from vmact.db import api as db
from vmact.jobs import engine as job_engine
from vmact.jobs import rate
from vmact.jobs import runner as job_runner

AGENT = 'sim'
REGION = 'R'
TENANT = 't'
ENGINE = 'engine-1'
SERVERS = ['on%d' % n for n in range(6)] + ['off0', 'off1']


class ScriptedSimulator(simulator.SimulatorBackend):
    """The simulator, counting what it is sent, with scripted refusals.

    ``script[server]`` is a list of Outcomes given (one per call) before
    the server is really acted on; ``before_send(target)`` runs first.
    """

    def __init__(self, conf, agent):
        super().__init__(conf, agent)
        self.script = collections.defaultdict(list)
        self.sent = collections.Counter()
        self.calls = []
        self.before_send = None
        self.lock = threading.Lock()

    def send(self, context, target, action):
        with self.lock:
            self.calls.append(target.servers)
            self.sent.update(target.servers)
        if self.before_send is not None:
            self.before_send(target)
        scripted = {s: self.script[s].pop(0) for s in target.servers
                    if self.script.get(s)}
        real = iter(super().send(context, base.Target(
            target.tenant_id, target.region,
            tuple(s for s in target.servers if s not in scripted)), action))
        return [scripted[s] if s in scripted else next(real)
                for s in target.servers]


def make_backend(delay=0.0, servers=SERVERS):
    conf = cfg.ConfigOpts()
    agent_conf.register_agent_opts(conf, AGENT,
                                   simulator.SimulatorBackend.list_opts())
    conf([], default_config_files=[])
    for name, value in (('backend', 'simulator'), ('transition_delay', delay),
                        ('poll_interval', 0.01), ('poll_max_interval', 0.02),
                        ('regions', [REGION]), ('servers', [
                            '%s:%s:%s%s' % (TENANT, REGION, s, ':SHUTOFF'
                                            if s.startswith('off') else '')
                            for s in servers])):
        conf.set_override(name, value, group=AGENT)
    return ScriptedSimulator(conf, AGENT)


class JobTestCase(db_base.DbTestCase):
    """A database, a scripted simulator, and helpers to run a job."""

    def setUp(self):
        super().setUp()
        # An in-process engine another test started would scan our jobs.
        job_engine.reset_local_engine()
        rate.reset()
        self.addCleanup(rate.reset)
        self.flags(group='jobs', chunk_size=3, reconcile_clock_skew=0,
                   max_retry_after=1)
        self.backend = make_backend()

    def new_job(self, servers=('on0', 'on1', 'on2'), action='os-stop',
                **job):
        job.setdefault('user_id', 'u1')
        job.setdefault('project_id', TENANT)
        job.setdefault('request_id', 'req-1')
        return self.make_job(servers, tenant_id=TENANT, region=REGION,
                             agent=AGENT, action=action, **job)

    def claim(self, job, engine_id=ENGINE, now=None):
        return db.claim_job(job['id'], engine_id, now or timeutils.utcnow(),
                            30)

    def runner(self, job, engine_id=ENGINE, cancel=None):
        return job_runner.JobRunner(
            self.conf, self.backend, job, engine_id,
            cancel or threading.Event(), limiter=rate.TokenBucket(0, 1))

    def run_job(self, job):
        """Claim and run ``job`` to its end; the job's final row."""
        claimed = self.claim(job)
        self.assertIsNotNone(claimed)
        self.assertTrue(self.runner(claimed).run())
        return db.get_job(job['id'])

    def rows(self, job_id):
        return {r['server_id']: r for r in db.job_servers(job_id, 100000)}

    def outcomes(self, job_id):
        """{server: (state, code)}."""
        return {s: (r['state'], r['code'])
                for s, r in self.rows(job_id).items()}
