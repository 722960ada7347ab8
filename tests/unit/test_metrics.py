"""Prometheus metrics: counted through the real pipeline, scraped at /metrics.

:class:`PipelineMetricsTest` sends a known sequence of requests through
etc/vmact/api-paste.ini (noauth, the simulator agents, jobs in an
in-memory sqlite database, their hand-over recorded, no engine) and reads
``GET /metrics`` as an admin: every count is exactly what was sent.
:class:`MultiProcessTest` has two child processes write to one
directory and reads their sum, as under mod_wsgi's daemon processes.
"""

import collections
import os
import subprocess
import sys

import fixtures
from oslo_db import exception as db_exc
from oslo_utils import timeutils
from prometheus_client import parser

from tests.unit import base
from tests.unit.jobs import base as jobs_base
from vmact.api import waiting
from vmact import context
from vmact.db import api as db
from vmact import exception
from vmact import metrics
from vmact.policies import metrics as metrics_policies
from vmact import policy

CHILD_TIMEOUT = 30


def samples(text):
    """{(sample name, sorted labels): value} of an exposition."""
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = (
                sample.value)
    return found


def label_key(name, **labels):
    return (name, tuple(sorted(labels.items())))


class MetricsTestCase(base.TestCase):
    """A fresh metrics object per test, single-process unless told."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(metrics.MULTIPROC_ENV))
        metrics.reset_for_tests()
        self.addCleanup(metrics.reset_for_tests)


class PipelineMetricsTest(base.PipelineHelpers, base.PipelineTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(metrics.MULTIPROC_ENV))
        metrics.reset_for_tests()
        self.addCleanup(metrics.reset_for_tests)
        self.flags(group='database', connection='sqlite://',
                   sync_on_startup=True)
        self.handed_over = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.jobs.rpc.submitted',
            lambda conf, job_id, agents=None: self.handed_over.append(
                job_id)))
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.jobs.engine.local_engine', lambda conf, agents=None: None))
        self.expected = collections.Counter()

    def send(self, agent_label, action_label, **kw):
        """One request; what vmact_requests_total must count for it."""
        response = self.request(**kw)
        self.expected[(agent_label, action_label,
                       str(response.status_int))] += 1
        return response

    def scrape(self, token=None):
        return self.request('/metrics', method='GET',
                            token=token or self.admin_token())

    def test_counts_are_those_of_the_requests_sent(self):
        stop = {'tenant_id': 'demo', 'region': 'RegionOne',
                'os-stop': None}
        first = self.send('scloudm', 'os-stop',
                          body=dict(stop, servers=base.DEMO1))
        self.assertEqual(200, first.status_int, first.text)
        second = self.send('scloudm', 'os-stop', body=dict(
            stop, servers=[base.DEMO1, base.DEMO2]))
        self.assertEqual(207, second.status_int, second.text)
        self.send('pbs', 'reboot', agent='pbs', body={
            'tenant_id': 'demo', 'region': 'cn-north-1',
            'servers': 'demo-cn-north-1-1', 'reboot': {'type': 'HARD'}})
        read = self.send('scloudm', 'show', method='GET',
                         path='%s/demo/RegionOne?servers=%s' % (
                             base.PATH, base.DEMO1))
        self.assertEqual(200, read.status_int)
        self.send('none', 'none', agent='nobody', body=dict(
            stop, servers=base.DEMO3))
        self.send('none', 'none', token=None, body=dict(
            stop, servers=base.DEMO3))
        self.send('scloudm', 'none', raw=b'{not json')
        job = self.send('scloudm', 'os-start', body={
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': 'off1',
            'os-start': None, 'async': True})
        self.assertEqual(202, job.status_int, job.text)
        self.assertEqual(1, len(self.handed_over))

        response = self.scrape()
        self.assertEqual(200, response.status_int, response.text)
        self.assertTrue(response.content_type.startswith('text/plain'))
        found = samples(response.text)
        counted = {(labels['agent'], labels['action'], labels['status']): v
                   for (name, items) in found
                   if name == 'vmact_requests_total'
                   for labels in [dict(items)]
                   for v in [found[(name, items)]]}
        self.assertEqual(dict(self.expected), counted)

        outcome = 'vmact_server_outcomes_total'
        self.assertEqual(2, found[label_key(
            outcome, agent='scloudm', action='os-stop', code='202')])
        self.assertEqual(1, found[label_key(
            outcome, agent='scloudm', action='os-stop', code='409')])
        self.assertEqual(1, found[label_key(
            outcome, agent='pbs', action='reboot', code='202')])
        calls = 'vmact_backend_call_seconds_count'
        self.assertEqual(2, found[label_key(
            calls, agent='scloudm', region='RegionOne', call='act')])
        self.assertEqual(1, found[label_key(
            calls, agent='scloudm', region='RegionOne', call='show')])
        self.assertEqual(1, found[label_key(
            calls, agent='pbs', region='cn-north-1', call='act')])
        self.assertEqual(0, found[label_key('vmact_requests_in_flight')])
        self.assertEqual(0, found[label_key('vmact_requests_waiting')])
        self.assertEqual(1, found[label_key('vmact_jobs_up')])
        self.assertEqual(1, found[label_key('vmact_jobs', state='INIT')])
        self.assertEqual(0, found[label_key('vmact_jobs', state='RUNNING')])
        self.assertEqual(1, found[label_key('vmact_job_queue_depth')])

    def test_a_claimed_job_leaves_the_queue(self):
        self.load()
        job = db.create_job({'tenant_id': 'demo', 'region': 'RegionOne',
                             'agent': 'scloudm', 'action': 'os-stop',
                             'server_count': 1, 'deadline':
                             timeutils.utcnow()}, ['x'])
        self.assertEqual(1, samples(self.scrape().text)[
            label_key('vmact_job_queue_depth')])
        db.claim_job(job['id'], 'engine-1', timeutils.utcnow(), 30)
        found = samples(self.scrape().text)
        self.assertEqual(0, found[label_key('vmact_job_queue_depth')])
        self.assertEqual(1, found[label_key('vmact_jobs', state='RUNNING')])

    def test_an_unreachable_database_leaves_the_job_metrics_out(self):
        self.load()
        self.useFixture(fixtures.MockPatch(
            'vmact.api.metrics_app.job_figures',
            side_effect=db_exc.DBConnectionError('down')))
        response = self.scrape()
        self.assertEqual(200, response.status_int)
        found = samples(response.text)
        self.assertEqual(0, found[label_key('vmact_jobs_up')])
        self.assertNotIn(label_key('vmact_job_queue_depth'), found)

    def test_a_member_is_refused_403(self):
        response = self.scrape(token=self.token())
        body = self.assertError(response, 403, metrics_policies.READ)
        self.assertNotIn('vmact_requests', body['msg'])

    def test_no_token_is_401_and_only_get_is_served(self):
        self.assertEqual(401, self.request('/metrics', method='GET',
                                           token=None).status_int)
        response = self.request('/metrics', method='POST',
                                token=self.admin_token())
        self.assertError(response, 405, 'POST')


class MetricsPolicyTest(MetricsTestCase):

    def test_default_is_admin_only(self):
        admin = context.RequestContext(user_id='a', project_id='p',
                                       roles=['admin'])
        reader = context.RequestContext(user_id='r', project_id='p',
                                        roles=['reader', 'member'])
        policy.authorize(admin, metrics_policies.READ, 'p')
        self.assertRaises(exception.Forbidden, policy.authorize, reader,
                          metrics_policies.READ, 'p')


class WaitingGaugeTest(MetricsTestCase):

    def test_a_waiting_request_is_counted_while_it_holds_a_slot(self):
        gauge = metrics.get().waiting
        slots = waiting.WaitingSlots(2, 4)
        with slots.slot(5):
            self.assertEqual(1, gauge._value.get())
            with slots.slot(0):
                self.assertEqual(1, gauge._value.get())
        self.assertEqual(0, gauge._value.get())


CHILD = """
import sys, time
from vmact import metrics
m = metrics.setup()
metrics.request_done('scloudm', 'os-stop', %(status)d)
metrics.count_outcomes('scloudm', 'os-stop', [])
with metrics.backend_call('scloudm', 'RegionOne', 'act'):
    pass
m.in_flight.inc()
print('ready', flush=True)
if %(hold)d:
    sys.stdin.readline()
"""


class MultiProcessTest(MetricsTestCase):
    """Two processes write to one directory; one scrape shows their sum."""

    def child(self, path, status, hold):
        proc = subprocess.Popen(
            [sys.executable, '-c', CHILD % {'status': status, 'hold': hold}],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, PROMETHEUS_MULTIPROC_DIR=path,
                     PYTHONPATH=base.ROOT))
        self.addCleanup(_reap, proc)
        return proc

    def test_counts_of_two_processes_add_up(self):
        path = self.useFixture(fixtures.TempDir()).path
        holding = self.child(path, 202, hold=1)
        done = self.child(path, 202, hold=0)
        self.assertEqual('ready\n', holding.stdout.readline())
        done.communicate(timeout=CHILD_TIMEOUT)
        self.assertEqual(0, done.returncode)
        self.useFixture(fixtures.EnvironmentVariable(metrics.MULTIPROC_ENV,
                                                     path))
        metrics.reset_for_tests()
        found = samples(metrics.exposition()[0].decode())
        self.assertEqual(2, found[label_key(
            'vmact_requests_total', agent='scloudm', action='os-stop',
            status='202')])
        self.assertEqual(2, found[label_key(
            'vmact_backend_call_seconds_count', agent='scloudm',
            region='RegionOne', call='act')])
        # livesum: the process that exited is no longer in flight.
        self.assertEqual(1, found[label_key('vmact_requests_in_flight')])
        holding.kill()
        holding.wait(timeout=CHILD_TIMEOUT)
        found = samples(metrics.exposition()[0].decode())
        self.assertEqual(0, found[label_key('vmact_requests_in_flight')])
        self.assertEqual(2, found[label_key(
            'vmact_requests_total', agent='scloudm', action='os-stop',
            status='202')])

    def test_the_option_sets_the_directory(self):
        path = self.useFixture(fixtures.TempDir()).path
        self.flags(group='metrics', multiproc_dir=path)
        metrics.setup(self.conf).requests.labels('a', 'b', '200').inc()
        self.assertEqual(path, os.environ[metrics.MULTIPROC_ENV])
        self.assertTrue(any(name.startswith('counter_')
                            for name in os.listdir(path)))


def _reap(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=CHILD_TIMEOUT)


class JobOutcomesTest(jobs_base.JobTestCase):
    """A job's calls are counted as the API's are: outcomes and timings."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(metrics.MULTIPROC_ENV))
        metrics.reset_for_tests()
        self.addCleanup(metrics.reset_for_tests)

    def test_each_server_outcome_and_each_chunk_call_is_counted(self):
        job = self.run_job(self.new_job(['on0', 'on1', 'on2', 'off0']))
        self.assertEqual('PARTIAL', job['status'])
        found = samples(metrics.exposition()[0].decode())
        agent, region = jobs_base.AGENT, jobs_base.REGION
        self.assertEqual(3, found[label_key(
            'vmact_server_outcomes_total', agent=agent, action='os-stop',
            code='202')])
        self.assertEqual(1, found[label_key(
            'vmact_server_outcomes_total', agent=agent, action='os-stop',
            code='409')])
        # chunk_size 3: two calls for four servers.
        self.assertEqual(2, found[label_key(
            'vmact_backend_call_seconds_count', agent=agent, region=region,
            call='act')])
