"""The jobs API (contract, "Jobs") through the whole pipeline.

Jobs are written to an in-memory sqlite database; the hand-over to the
engines (``vmact.jobs.rpc.submitted``) is recorded instead of run, so a
job stays as the API wrote it and nothing reaches a backend.
"""

import importlib
import logging
import sys
import types
import uuid

import fixtures
from oslo_db import exception as db_exc

from tests.unit import base
from vmact.api import waiting
from vmact.db import api as db_api
from vmact.db import models
from vmact import exception

PATH = base.PATH
DEMO1, DEMO2, DEMO3, ALT1 = base.DEMO1, base.DEMO2, base.DEMO3, base.ALT1
JOBS = '/mana_api/jobs'


class JobsTestCase(base.PipelineHelpers, base.PipelineTestCase):
    """The pipeline over a fresh jobs database; hand-overs recorded."""

    def setUp(self):
        super().setUp()
        self.flags(group='database', connection='sqlite://')
        self.submitted = []
        self.patch_submitted()
        self.logger = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def patch_submitted(self):
        """Record hand-overs; ``self.handover_error`` makes them fail."""
        self.handover_error = None

        def submitted(conf, job_id, agents=None):
            if self.handover_error:
                raise self.handover_error
            self.submitted.append(job_id)
            self.handed_agents = agents
        try:
            importlib.import_module('vmact.jobs.rpc')
        except ImportError:
            fake = types.ModuleType('vmact.jobs.rpc')
            fake.submitted = submitted
            sys.modules['vmact.jobs.rpc'] = fake
            self.addCleanup(sys.modules.pop, 'vmact.jobs.rpc', None)
        else:
            self.useFixture(fixtures.MonkeyPatch('vmact.jobs.rpc.submitted',
                                                 submitted))

    def load(self):
        first = not hasattr(self, '_app')
        app = super().load()
        if first:
            engine = db_api.reset_for_tests('sqlite://')
            models.BASE.metadata.create_all(engine)
            self.addCleanup(engine.dispose)
        return app

    def create_job(self, servers=DEMO1, action='os-stop', value=None,
                   headers=None, token=True, path=PATH, **extra):
        """POST with ``"async": true``; the response."""
        body = {'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': servers, action: value, 'async': True}
        body.update(extra)
        return self.request(path, body=body, headers=headers, token=token)

    def new_job(self, servers=DEMO1, **kw):
        """A job's id, created as demo (202 checked)."""
        response = self.create_job(servers, **kw)
        self.assertEqual(202, response.status_int, response.text)
        return response.json['job_id']

    def get(self, path, token=True):
        return self.request(path, method='GET', token=token)


class RoutingTest(JobsTestCase):

    def test_list_and_job_paths_answer_get(self):
        job_id = self.new_job()
        self.assertEqual(200, self.get(JOBS).status_int)
        self.assertEqual(200, self.get(JOBS + '/').status_int)
        self.assertEqual(200, self.get('%s/%s' % (JOBS, job_id)).status_int)
        self.assertEqual(200, self.get('%s/%s/' % (JOBS, job_id)).status_int)

    def test_other_methods_are_405_with_allow(self):
        job = '%s/%s' % (JOBS, uuid.uuid4())
        for path, allowed, methods in (
                (JOBS, 'GET', ('POST', 'PUT', 'DELETE', 'PATCH')),
                (job, 'GET, DELETE', ('POST', 'PUT', 'PATCH'))):
            for method in methods:
                response = self.request(path, method=method)
                self.assertRefused(response, 405, method)
                self.assertEqual(allowed, response.headers['Allow'])

    def test_job_id_not_a_uuid_is_400_naming_it(self):
        for bad in ('123', 'k432k234', 'x' * 36):
            response = self.get('%s/%s' % (JOBS, bad))
            self.assertRefused(response, 400, 'Job ID "%s"' % bad, 'UUID')

    def test_deeper_paths_are_404(self):
        self.assertRefused(self.get('%s/%s/servers' % (JOBS, uuid.uuid4())),
                           404)
        self.assertRefused(self.get('/mana_api/jobsx'), 404)

    def test_unknown_query_parameter_is_400_naming_it(self):
        job_id = self.new_job()
        for method, path in (('GET', JOBS), ('GET', JOBS + '/' + job_id),
                             ('DELETE', JOBS + '/' + job_id)):
            response = self.request(path + '?colour=red', method=method)
            self.assertRefused(response, 400, '"colour"')

    def test_unknown_job_is_404_in_error_format(self):
        job_id = str(uuid.uuid4())
        body = self.assertRefused(self.get(JOBS + '/' + job_id), 404)
        self.assertEqual('No such job: "%s".' % job_id, body['msg'])

    def test_upper_case_job_id_is_the_same_job(self):
        job_id = self.new_job()
        response = self.get(JOBS + '/' + job_id.upper())
        self.assertEqual(job_id, response.json['job_id'])

    def test_without_token_is_401(self):
        response = self.get(JOBS, token=None)
        self.assertRefused(response, 401)


class PagingTest(JobsTestCase):

    def test_servers_paged_in_request_order_with_next(self):
        servers = [DEMO3, DEMO1, 'off1', DEMO2, 'off2']
        job_id = self.new_job(servers)
        path = '%s/%s?limit=2' % (JOBS, job_id)
        seen = []
        while path:
            body = self.get(path).json
            self.assertLessEqual(len(body['servers']), 2)
            seen += [s['id'] for s in body['servers']]
            path = body.get('next')
        self.assertEqual(servers, seen)

    def test_next_link_names_limit_and_marker(self):
        job_id = self.new_job([DEMO1, DEMO2, DEMO3])
        body = self.get('%s/%s?limit=1' % (JOBS, job_id)).json
        self.assertEqual('%s/%s?limit=1&marker=%s' % (JOBS, job_id, DEMO1),
                         body['next'])
        last = self.get('%s/%s?marker=%s' % (JOBS, job_id, DEMO2)).json
        self.assertEqual([DEMO3], [s['id'] for s in last['servers']])
        self.assertNotIn('next', last)

    def test_default_and_maximum_page_size(self):
        self.flags(group='jobs', page_size=2, max_page_size=3)
        job_id = self.new_job([DEMO1, DEMO2, DEMO3, 'off1'])
        self.assertEqual(2, len(self.get(JOBS + '/' + job_id).json['servers']))
        self.assertEqual(3, len(self.get(
            '%s/%s?limit=3' % (JOBS, job_id)).json['servers']))
        self.assertRefused(self.get('%s/%s?limit=4' % (JOBS, job_id)), 400,
                           '"limit"', 'from 1 to 3')

    def test_bad_limit_is_400_naming_it(self):
        job_id = self.new_job()
        for bad in ('0', '-1', 'ten', '1.5', '', '1001', '%D9%A3'):
            for path in (JOBS, JOBS + '/' + job_id):
                response = self.get('%s?limit=%s' % (path, bad))
                self.assertRefused(response, 400, '"limit"')

    def test_repeated_limit_is_400(self):
        self.assertRefused(self.get(JOBS + '?limit=1&limit=2'), 400,
                           '"limit"', '2 times')

    def test_bad_server_marker_is_400_naming_it(self):
        job_id = self.new_job()
        for bad, words in ((DEMO2, 'not a server of this job'),
                           ('a.b', 'not a server ID')):
            response = self.get('%s/%s?marker=%s' % (JOBS, job_id, bad))
            self.assertRefused(response, 400, '"marker"', words)

    def test_jobs_listed_newest_first_and_paged(self):
        ids = [self.new_job() for _ in range(5)]
        seen, path = [], JOBS + '?limit=2'
        while path:
            body = self.get(path).json
            seen += [job['job_id'] for job in body['jobs']]
            path = body.get('next')
        self.assertEqual(list(reversed(ids)), seen)

    def test_bad_job_marker_is_400_naming_it(self):
        self.new_job()
        for bad, words in (('123', 'a UUID'),
                           (str(uuid.uuid4()), 'not a job of this listing')):
            self.assertRefused(self.get(JOBS + '?marker=' + bad), 400,
                               '"marker"', words)


class CreateTest(JobsTestCase):

    def test_async_body_is_202_with_location_and_job(self):
        response = self.create_job([DEMO1, DEMO2])
        self.assertEqual(202, response.status_int, response.text)
        job_id = response.json['job_id']
        self.assertEqual({'job_id': job_id, 'status': 'INIT'}, response.json)
        self.assertTrue(uuid.UUID(job_id))
        self.assertEqual('http://localhost/mana_api/jobs/' + job_id,
                         response.headers['Location'])
        self.assertNotIn('Preference-Applied', response.headers)
        self.assertEqual([job_id], self.submitted)
        self.assertEqual([], self.calls)
        job = db_api.get_job(job_id)
        self.assertEqual(('INIT', 'demo', 'RegionOne', 'scloudm', 'os-stop',
                          2, 'demo', None),
                         (job['status'], job['tenant_id'], job['region'],
                          job['agent'], job['action'], job['server_count'],
                          job['user_id'], job['trust_id']))

    def test_prefer_respond_async_is_a_job_with_preference_applied(self):
        for prefer in ('respond-async', 'RESPOND-ASYNC',
                       'return=minimal, respond-async; x=1',
                       'wait=10,Respond-Async'):
            body = {'tenant_id': 'demo', 'region': 'RegionOne',
                    'servers': DEMO1, 'os-stop': None}
            response = self.request(body=body, headers={'Prefer': prefer})
            self.assertEqual(202, response.status_int, prefer)
            self.assertEqual('respond-async',
                             response.headers['Preference-Applied'])
        self.assertEqual(4, len(self.submitted))
        self.assertEqual([], self.calls)

    def test_other_preferences_act_now(self):
        for prefer in ('return=minimal', 'respond-asynchronously',
                       'x=respond-async'):
            self.assertOK(self.request(
                body={'tenant_id': 'demo', 'region': 'RegionOne',
                      'servers': DEMO1, 'reboot': None},
                headers={'Prefer': prefer}))
        self.assertEqual(3, len(self.sent()))
        self.assertEqual([], self.submitted)

    def test_async_false_acts_now(self):
        self.assertOK(self.act_with('os-stop', DEMO1, **{'async': False}))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))
        self.assertEqual([], self.submitted)

    def test_async_not_a_boolean_is_400(self):
        response = self.act_with('os-stop', DEMO1, **{'async': 'yes'})
        self.assertRefused(response, 400, '"async"')

    def test_every_path_form_and_the_reboot_type(self):
        response = self.request(PATH + '/demo/RegionOne/' + DEMO1, body={
            'reboot': {'type': 'hard'}, 'async': True})
        job = self.get(JOBS + '/' + response.json['job_id']).json
        self.assertEqual({'reboot': {'type': 'HARD'}}, job['action'])
        self.assertEqual([DEMO1], [s['id'] for s in job['servers']])

    def test_location_is_under_script_name(self):
        req = base.blank_request(PATH, {
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None, 'async': True}, token=self.default_token())
        req.environ['SCRIPT_NAME'] = '/vmact'
        response = req.get_response(self.load())
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual('/vmact/mana_api/jobs/' + response.json['job_id'],
                         response.location.replace('http://localhost', ''))

    def test_validated_as_sync(self):
        for body, words in (
                ({'servers': 'a.b'}, 'not a server ID'),
                ({'servers': DEMO1, 'os-start': None}, 'names 2 actions'),
                ({'servers': DEMO1, 'colour': 1}, '"colour"'),
                ({'servers': DEMO1, 'wait': 601}, '"wait"'),
                ({'servers': DEMO1, 'reboot': None, 'only_if_needed': True},
                 'only_if_needed')):
            full = dict({'tenant_id': 'demo', 'region': 'RegionOne',
                         'os-stop': None, 'async': True}, **body)
            if 'reboot' in body:
                del full['os-stop']
            self.assertRefused(self.request(body=full), 400, words)
        self.assertEqual([], self.submitted)
        self.assertEqual([], db_api.list_jobs(None, None, 10))

    def test_authorized_as_sync(self):
        response = self.create_job(ALT1, tenant_id='alt')
        self.assertRefused(response, 403, 'vmact:vm_act:stop', '"alt"')
        self.assertEqual([], db_api.list_jobs(None, None, 10))

    def test_up_to_max_servers_per_job(self):
        self.flags(group='jobs', max_servers_per_job=600)
        servers = ['vm-%d' % i for i in range(600)]
        job_id = self.new_job(servers)
        self.assertEqual(600, db_api.get_job(job_id)['server_count'])
        response = self.create_job(servers + ['vm-600'])
        self.assertRefused(response, 400, 'names 601 items', 'at most 600')

    def test_bad_id_deep_in_a_big_job_is_named(self):
        self.flags(group='jobs', max_servers_per_job=3000)
        servers = ['vm-%d' % i for i in range(3000)]
        servers[2999] = 'vm/2999'
        self.assertRefused(self.create_job(servers), 400, 'servers[2999]',
                           '"vm/2999"')

    def test_sync_over_max_servers_per_request_says_async(self):
        servers = ','.join('vm-%d' % i for i in range(501))
        response = self.act_with('os-stop', servers)
        self.assertRefused(response, 400, 'names 501 items', 'at most 500',
                           '"async": true', '10000')

    def test_audit_line_names_the_job_and_its_size(self):
        job_id = self.new_job([DEMO1, DEMO2])
        self.assertIn('job=%s servers=2' % job_id, self.logger.output)
        self.assertIn('audit: request_id=req-', self.logger.output)

    def test_handover_passes_the_pipelines_agents(self):
        req = base.blank_request(PATH, {
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None, 'async': True}, token=self.default_token())
        app = self.load()
        self.assertEqual(202, req.get_response(app).status_int)
        self.assertEqual(['pbs', 'scloudm'], sorted(self.handed_agents))
        self.assertIs(req.environ['vmact.backend'],
                      self.handed_agents['scloudm'])

    def test_handover_failure_still_202(self):
        self.handover_error = RuntimeError('transport gone')
        job_id = self.new_job()
        self.assertEqual('INIT', db_api.get_job(job_id)['status'])
        self.assertIn('not handed to an engine', self.logger.output)

    def test_database_unreachable_is_503_nothing_acted(self):
        self.load()
        db_api.reset_for_tests('sqlite:////nonexistent-dir/vmact.sqlite')
        response = self.create_job()
        self.assertRefused(response, 503, 'jobs database')
        self.assertEqual([], self.submitted)
        self.assertRefused(self.get(JOBS), 503, 'jobs database')
        # Synchronous actions never touch the database.
        self.assertOK(self.act_with('os-stop', DEMO1))

    def test_wait_over_the_waiting_limit_with_prefer_is_a_job(self):
        def full(slots, wait):
            raise waiting.TooManyWaiting(1, 2, 5)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.waiting.WaitingSlots.slot', full))
        body = {'tenant_id': 'demo', 'region': 'RegionOne',
                'servers': DEMO1, 'os-stop': None, 'wait': 30}
        self.assertRefused(self.request(body=body), 429)
        response = self.request(body=body,
                                headers={'Prefer': 'respond-async'})
        self.assertEqual(202, response.status_int, response.text)
        self.assertEqual(30, self.get(response.location).json['wait'])
        self.assertEqual([], self.calls)


class TokenModeTest(JobsTestCase):
    """An agent that acts as the caller: a trust first, then the job."""

    def setUp(self):
        super().setUp()
        self.trusts = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.SimulatorBackend.acts_as_caller',
            True))
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.jobs.trusts.create', self.fake_create))
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.jobs.trusts.delete',
            lambda conf, trust_id: self.trusts.append(('delete', trust_id))))

    def fake_create(self, conf, ctx, tenant_id, expires_at):
        self.trusts.append(('create', ctx.user_id, tenant_id, expires_at))
        return 'trust-1'

    def test_trust_created_before_the_job_and_stored(self):
        job_id = self.new_job()
        job = db_api.get_job(job_id)
        self.assertEqual('trust-1', job['trust_id'])
        self.assertEqual([('create', 'demo', 'demo', job['deadline'])],
                         self.trusts)
        self.assertEqual(86400, (job['deadline']
                                 - job['created_at']).total_seconds())

    def test_job_not_written_deletes_the_trust(self):
        def down(*args, **kw):
            raise db_exc.DBConnectionError('connection refused')
        self.useFixture(fixtures.MonkeyPatch('vmact.db.api.create_job', down))
        self.assertRefused(self.create_job(), 503, 'jobs database')
        self.assertEqual(['create', 'delete'], [t[0] for t in self.trusts])
        self.assertEqual([], self.submitted)

    def test_trust_refused_writes_no_job(self):
        def refuse(conf, ctx, tenant_id, expires_at):
            raise exception.Forbidden('Keystone refused a trust')
        self.useFixture(fixtures.MonkeyPatch('vmact.jobs.trusts.create',
                                             refuse))
        self.assertRefused(self.create_job(), 403, 'Keystone refused')
        self.assertEqual([], db_api.list_jobs(None, None, 10))


class LocalEngineStartTest(base.PipelineHelpers, base.PipelineTestCase):
    """Without a transport URL the first request starts the engine."""

    def test_first_request_starts_the_local_engine_once(self):
        app = self.load()
        for _ in range(2):
            base.blank_request(
                '/mana_api/vm_act/demo/RegionOne?servers=k432k234',
                method='GET', token=self.default_token()).get_response(app)
        self.assertEqual(1, len(self.started_engines))
        self.assertEqual(['pbs', 'scloudm'], sorted(self.started_engines[0]))


class SyncOnStartupTest(base.PipelineHelpers, base.PipelineTestCase):
    """A database that cannot be synced does not stop the service."""

    def test_unusable_database_logs_and_actions_still_served(self):
        self.flags(group='database', sync_on_startup=True,
                   connection='sqlite:////proc/no-such-dir/vmact.sqlite')
        logger = self.useFixture(fixtures.FakeLogger(level='ERROR'))
        app = self.load()
        self.assertIn('sync_on_startup', logger.output)
        response = base.blank_request(
            '/mana_api/vm_act/demo/RegionOne?servers=' + DEMO1,
            method='GET', token=self.default_token()).get_response(app)
        self.assertEqual(200, response.status_int, response.text)
