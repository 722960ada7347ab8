"""Fleet control through the whole pipeline: ``select``, ``expect_count``,
``dry_run`` and ``Prefer: return=representation`` (the contract's "Fleet
control" lines 1, 2 and 4), on the simulator agents of tests/unit/base.

Tags: ``demo-RegionOne-1`` web/prod, ``demo-RegionOne-2`` web,
``off1`` db, and ``alt-RegionOne-1`` web (another tenant's server,
never selected for ``demo``).
"""

import fixtures

from tests.unit.backends import test_simulator
from tests.unit import base
from vmact.api import fleet
from vmact.api import request
from vmact.backends import base as backends_base
from vmact.backends import simulator
from vmact import exception

DEMO1 = base.DEMO1
DEMO2 = base.DEMO2
REPRESENTATION = {'Prefer': 'return=representation'}


class FleetTestBase(base.PipelineHelpers, base.PipelineTestCase):

    def setUp(self):
        super().setUp()
        self.agent('scloudm', tags=[DEMO1 + '=web/prod', DEMO2 + '=web',
                                    'off1=db', 'alt-RegionOne-1=web'])
        self.selects = []
        original = simulator.SimulatorBackend.select

        def spy(backend, *args):
            self.selects.append(args[1:])
            return original(backend, *args)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.SimulatorBackend.select', spy))

    def select(self, selector, action='os-stop', headers=None, **extra):
        body = {'tenant_id': 'demo', 'region': 'RegionOne',
                'select': selector, action: None}
        body.update(extra)
        return self.request(body=body, headers=headers)


class SelectTest(FleetTestBase):

    def test_tags_all_select_exactly_the_tagged_servers_of_the_tenant(self):
        response = self.select({'tags': ['web']}, 'os-stop')
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual({'servers': [DEMO1, DEMO2]}, response.json)
        self.assertEqual([('scloudm', (DEMO1, DEMO2))], self.sent())
        self.assertEqual({DEMO1: 'SHUTOFF', DEMO2: 'SHUTOFF',
                          'alt-RegionOne-1': 'ACTIVE'},
                         {**self.states([DEMO1, DEMO2]),
                          **self.states(['alt-RegionOne-1'], 'alt')})

    def test_every_criterion_must_hold(self):
        cases = [({'tags': ['web', 'prod']}, [DEMO1]),
                 ({'tags_any': ['db', 'prod']}, [DEMO1, 'off1']),
                 ({'name': '-2$'}, [DEMO2]),
                 ({'tags_any': ['db'], 'status': 'shutoff'}, ['off1']),
                 ({'tags_any': ['db'], 'status': 'ACTIVE'}, []),
                 ({'tags': ['nope']}, [])]
        for selector, expected in cases:
            response = self.select(selector, 'os-start', dry_run=True)
            self.assertEqual(200, response.status_int, response.text)
            self.assertEqual(expected, [s['id'] for s in
                                        response.json['servers']], selector)
        self.assertEqual([], self.sent())

    def test_zero_matches_is_200_with_nothing_done(self):
        response = self.select({'tags': ['nope']}, expect_count=0)
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual({'servers': []}, response.json)
        self.assertEqual([], self.sent())

    def test_expect_count_mismatch_is_409_naming_the_count(self):
        response = self.select({'tags': ['web']}, expect_count=3)
        self.assertError(response, 409, 'matched 2 servers', 'not the 3')
        self.assertEqual([], self.sent())
        response = self.select({'tags': ['web']}, expect_count=2)
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual([('scloudm', (DEMO1, DEMO2))], self.sent())

    def test_over_the_sync_limit_is_400_saying_how_many(self):
        self.flags(group='api', max_servers_per_request=1)
        response = self.select({'tags': ['web']})
        self.assertError(response, 400, 'matched 2 servers', 'at most 1',
                         '"async": true')
        self.assertEqual([], self.sent())

    def test_over_the_job_limit_is_400(self):
        self.flags(group='jobs', max_servers_per_job=1)
        response = self.select({'tags': ['web']}, **{'async': True})
        self.assertError(response, 400, 'matched 2 servers', 'a job may')

    def test_select_with_servers_is_400_and_neither_is_the_old_400(self):
        response = self.select({'tags': ['web']}, servers=DEMO1)
        self.assertRefused(response, 400, 'either "select"')
        response = self.request(PATH_SERVER, body={
            'select': {'tags': ['web']}, 'os-stop': None})
        self.assertRefused(response, 400, 'either "select"')
        response = self.request(body={'tenant_id': 'demo',
                                      'region': 'RegionOne',
                                      'os-stop': None})
        self.assertRefused(response, 400, 'Missing field "servers"')
        self.assertEqual([], self.selects)

    def test_invalid_selectors_are_400_naming_the_field(self):
        cases = [({}, '"select"'), ({'tags': []}, '"select.tags"'),
                 ({'tags': ['a,b']}, 'no "," or "/"'),
                 ({'tags': ['a/b']}, '"select.tags[0]"'),
                 ({'tags': ['x' * 61]}, '1 to 60 characters'),
                 ({'tags_any': ['']}, '"select.tags_any[0]"'),
                 ({'name': '('}, 'not a valid regular expression'),
                 ({'name': 'x' * 256}, '1 to 255 characters'),
                 ({'status': 'RUNNING'}, 'a Nova status'),
                 ({'colour': 'red'}, 'Unknown field "colour"'),
                 ('web', '"select"')]
        for selector, fragment in cases:
            response = self.select(selector)
            self.assertRefused(response, 400, fragment)
        self.assertEqual([], self.selects)

    def test_expect_count_needs_select_and_a_whole_number(self):
        self.assertRefused(self.act_with(expect_count=1), 400,
                           'applies to "select" only')
        for value in (-1, 1.5, '2', True):
            self.assertRefused(self.select({'tags': ['web']},
                                           expect_count=value), 400,
                               '"expect_count"')

    def test_selection_is_authorized_before_it_is_looked_up(self):
        response = self.request(body={
            'tenant_id': 'alt', 'region': 'RegionOne',
            'select': {'tags': ['web']}, 'os-stop': None})
        self.assertRefused(response, 403)
        self.assertEqual([], self.selects)

    def test_async_selection_is_a_job_of_the_selected_servers(self):
        created = []
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.api.jobs.create',
            lambda conf, req, ctx, backend, parsed, *a: created.append(
                parsed) or fleet.nothing_selected()))
        self.select({'tags': ['web']}, **{'async': True})
        self.assertEqual([(DEMO1, DEMO2)],
                         [p.target.servers for p in created])

    def test_agent_without_selection_is_a_400_naming_it(self):
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.SimulatorBackend.select',
            backends_base.Backend.select))
        self.assertRefused(self.select({'tags': ['web']}), 400,
                           'Agent "scloudm" does not support selection')


PATH_SERVER = base.PATH + '/demo/RegionOne/' + DEMO1


class DryRunTest(FleetTestBase):

    def test_plan_per_server_and_nothing_sent(self):
        response = self.act_with('os-start', [DEMO1, 'off1', 'nope'],
                                 dry_run=True)
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual([
            {'id': DEMO1, 'status': 'ACTIVE', 'task_state': None,
             'plan': 'fail', 'code': 409,
             'msg': "Cannot 'start' instance %s while it is in vm_state "
                    "active" % DEMO1},
            {'id': 'off1', 'status': 'SHUTOFF', 'task_state': None,
             'plan': 'act', 'code': 202, 'msg': 'would be sent'},
            {'id': 'nope', 'status': None, 'task_state': None,
             'plan': 'fail', 'code': 404,
             'msg': 'Instance nope could not be found.'}],
            response.json['servers'])
        self.assertEqual([], self.sent())

    def test_plan_matches_the_real_run(self):
        servers = [DEMO1, 'off1', 'err1', 'nope', 'alt-RegionOne-1']
        for action, value in (('os-stop', None), ('reboot', {'type': 'SOFT'}),
                              ('reboot', {'type': 'HARD'})):
            planned = self.act_with(action, servers, value,
                                    dry_run=True).json['servers']
            real = self.act_with(action, servers, value).json
            failed = {f['server']: (f['code'], f['msg'])
                      for f in real['failures']}
            for plan in planned:
                if plan['plan'] == 'fail':
                    self.assertEqual((plan['code'], plan['msg']),
                                     failed[plan['id']], action)
                else:
                    self.assertIn(plan['id'], real['succeeded'], action)

    def test_only_if_needed_plans_skip(self):
        response = self.act_with('os-stop', ['off1', DEMO1], dry_run=True,
                                 only_if_needed=True)
        self.assertEqual(['skip', 'act'],
                         [s['plan'] for s in response.json['servers']])
        self.assertEqual('already SHUTOFF', response.json['servers'][0]['msg'])

    def test_task_in_progress_plans_409_in_novas_words(self):
        self.flags(group='scloudm', transition_delay=60)
        self.act_with('os-stop', DEMO1)
        plan = self.act_with('os-stop', DEMO1, dry_run=True).json['servers']
        self.assertEqual(
            "Cannot 'stop' instance %s while it is in task_state "
            "powering-off" % DEMO1, plan[0]['msg'])

    def test_dry_run_with_async_or_representation_is_400(self):
        self.assertRefused(self.act_with(dry_run=True, **{'async': True}),
                           400, 'synchronous requests only')
        self.assertRefused(self.request(body={
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None, 'dry_run': True},
            headers={'Prefer': 'respond-async'}), 400,
            'synchronous requests only')
        self.assertRefused(self.request(body={
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None, 'dry_run': True}, headers=REPRESENTATION), 400,
            'takes no')
        self.assertRefused(self.act_with(dry_run='yes'), 400, '"dry_run"')


class RepresentationTest(FleetTestBase):

    def test_state_changes_before_and_after(self):
        response = self.request(body={
            'tenant_id': 'demo', 'region': 'RegionOne',
            'servers': [DEMO1, 'off1'], 'os-stop': None,
            'only_if_needed': True}, headers=REPRESENTATION)
        self.assertEqual(200, response.status_int, response.text)
        first, second = response.json['servers']
        self.assertEqual(('accepted', 202), (first['outcome'],
                                             first['code']))
        self.assertEqual('ACTIVE', first['previous']['status'])
        self.assertEqual('SHUTOFF', first['current']['status'])
        self.assertEqual(('skipped', 200, 'already SHUTOFF'),
                         (second['outcome'], second['code'], second['msg']))
        self.assertEqual(second['previous'], second['current'])

    def test_failures_keep_the_error_format_plus_servers(self):
        response = self.request(body={
            'tenant_id': 'demo', 'region': 'RegionOne',
            'servers': [DEMO1, 'nope'], 'os-start': None},
            headers={'Prefer': 'wait=5, return=representation'})
        body = self.assertError(response, 207)
        self.assertEqual(['failed', 'failed'],
                         [s['outcome'] for s in body['servers']])
        self.assertIsNone(body['servers'][1]['previous'])
        self.assertEqual(2, len(body['failures']))

    def test_without_it_the_bare_200_stays(self):
        self.assertOK(self.act_with('os-stop', DEMO1))

    def test_after_wait_current_is_the_settled_state(self):
        self.flags(group='scloudm', transition_delay=0.05)
        response = self.request(body={
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'reboot': {'type': 'HARD'}, 'wait': 5}, headers=REPRESENTATION)
        server = response.json['servers'][0]
        self.assertEqual(('accepted', 200), (server['outcome'],
                                             server['code']))
        self.assertEqual({'status': 'ACTIVE', 'task_state': None,
                          'power_state': 'running'}, server['current'])

    def test_a_job_ignores_it(self):
        route = request.Route(('POST',))
        self.assertFalse(fleet.options(route, {}, REPRESENTATION,
                                       True).representation)
        self.assertTrue(fleet.options(route, {}, REPRESENTATION,
                                      False).representation)

    def test_prefer_is_matched_among_others_in_any_case(self):
        for header, wanted in (('return=representation', True),
                               ('respond-async, RETURN=Representation', True),
                               ('return = representation; x=1', True),
                               ('return=minimal', False), ('', False)):
            self.assertEqual(wanted, fleet.prefers_representation(
                {'Prefer': header}), header)


class SimulatorTagsTest(base.TestCase):
    """The simulator's ``tags`` option, which the dev server uses too."""

    def backend(self, tags):
        return test_simulator.make_backend(
            tenants=['demo'], servers_per_tenant=2, tags=tags)

    def test_tags_apply_to_the_id_in_every_tenant(self):
        backend = self.backend(['demo-RegionOne-1=a b/c:d', 'nope=x'])
        selector = backends_base.Selector(('a b', 'c:d'))
        self.assertEqual(('demo-RegionOne-1',), backend.select(
            None, 'demo', 'RegionOne', selector))

    def test_bad_tags_are_a_config_error_naming_the_item(self):
        for item in ('no-equals', 'vm=', 'vm=a//b', 'vm=' + 'x' * 61):
            error = self.assertRaises(exception.ConfigError,
                                      self.backend, [item])
            self.assertIn(repr(item), str(error))
