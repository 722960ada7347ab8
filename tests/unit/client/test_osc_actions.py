"""``openstack vm start|stop|reboot|status`` through cliff's App."""

import json

from tests.unit.client import osc_fakes
from tests.unit.client import test_client_jobs as job_fakes

ACT = '/mana_api/vm_act/demo/RegionOne'
JOB_ID = job_fakes.JOB_ID


def job_page(status, servers, wait=300, **counts):
    return dict(job_fakes.job_body(status, wait=wait, **counts),
                servers=servers)


class SyncActionTest(osc_fakes.CommandTestCase):

    def test_stop_three_servers_with_the_clouds_defaults(self):
        self.http.post(self.url(ACT), status_code=200)
        code, out, err = self.run_vm(['vm', 'stop', 'a', 'b', 'c',
                                      '-f', 'json'])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual({'servers': ['a', 'b', 'c'], 'os-stop': None},
                         self.last().json())
        self.assertEqual([{'Server': s, 'State': 'accepted', 'Code': None,
                           'Message': None} for s in 'abc'],
                         json.loads(out))

    def test_each_failure_on_stderr_then_n_of_m_and_exit_1(self):
        self.http.post(self.url(ACT), status_code=207, json={
            'msg': 'os-start failed for 2 of 3 servers.', 'code': 207,
            'reason': 'Multi-Status',
            'failures': [{'server': 'c', 'code': 404, 'msg': 'No such'},
                         {'server': 'a', 'code': 409, 'msg': 'active'}],
            'succeeded': ['b']})
        code, out, err = self.run_vm(['vm', 'start', 'a', 'b', 'c',
                                      '-f', 'value'])
        self.assertEqual(1, code)
        self.assertEqual(['a failed 409 active', 'b accepted None None',
                          'c failed 404 No such'], out.splitlines())
        self.assertEqual(['Failed to start server a: active (409)',
                          'Failed to start server c: No such (404)',
                          '2 of 3 servers failed to start.'],
                         err.splitlines())

    def test_whole_request_error_is_one_message(self):
        self.http.post(self.url(ACT), status_code=400, json={
            'msg': 'Unknown Sp-Agent "x"; known agents: pbs.', 'code': 400,
            'reason': 'Bad Request'})
        code, out, err = self.run_vm(['vm', 'stop', 'a', '--agent', 'x'])
        self.assertEqual((1, ''), (code, out))
        self.assertEqual('Unknown Sp-Agent "x"; known agents: pbs. '
                         '(HTTP 400)\n', err)
        self.assertEqual('x', self.last().headers['Sp-Agent'])

    def test_project_region_and_reboot_type(self):
        path = '/mana_api/vm_act/p2/RegionTwo'
        self.http.post(self.url(path), status_code=200)
        code, _, _ = self.run_vm(['vm', 'reboot', '--hard', '--project',
                                  'p2', '--region', 'RegionTwo', 'a'])
        self.assertEqual(0, code)
        self.assertEqual({'servers': ['a'], 'reboot': {'type': 'HARD'}},
                         self.last().json())
        self.run_vm(['vm', 'reboot', 'a', '--region', 'RegionTwo',
                     '--project', 'p2'])
        self.assertEqual({'type': 'SOFT'}, self.last().json()['reboot'])

    def test_hard_and_soft_together_is_a_usage_error(self):
        requests_before = len(self.http.request_history)
        e = self.assertRaises(SystemExit, self.run_vm,
                              ['vm', 'reboot', '--hard', '--soft', 'a'])
        self.assertEqual(2, e.code)
        self.assertEqual(requests_before, len(self.http.request_history))

    def test_only_if_needed(self):
        self.http.post(self.url(ACT), status_code=200)
        self.run_vm(['vm', 'start', '--only-if-needed', 'a'])
        self.assertIs(True, self.last().json()['only_if_needed'])

    def test_no_region_anywhere(self):
        self.manager.region_name = None
        code, _, err = self.run_vm(['vm', 'stop', 'a'])
        self.assertEqual(1, code)
        self.assertIn('give --region', err)
        self.assertEqual([], self.http.request_history)


class JobActionTest(osc_fakes.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.posted = self.http.post(
            self.url(ACT), status_code=202,
            json={'job_id': JOB_ID, 'status': 'INIT'})

    def test_async_prints_the_job_and_does_not_follow_it(self):
        code, out, err = self.run_vm(['vm', 'stop', '--async', 'a', 'b',
                                      '-f', 'value', '-c', 'Job ID'])
        self.assertEqual((0, JOB_ID + '\n', ''), (code, out, err))
        self.assertEqual({'servers': ['a', 'b'], 'os-stop': None,
                          'async': True}, self.last().json())
        self.assertEqual('POST', self.last().method)

    def test_wait_follows_the_job_with_a_progress_bar(self):
        servers = [{'id': 'a', 'state': 'succeeded', 'code': 200,
                    'msg': 'Reached SHUTOFF'},
                   {'id': 'b', 'state': 'failed', 'code': 504,
                    'msg': 'Still ACTIVE after 300 s'}]
        self.http.get(self.url(job_fakes.JOB_PATH), [
            {'json': job_page('RUNNING', servers[:1], accepted=2)},
            {'json': job_page('PARTIAL', servers[:1], succeeded=1,
                              failed=1)},
            {'json': job_page('PARTIAL', servers, succeeded=1, failed=1)}])
        code, out, err = self.run_vm(['vm', 'stop', 'a', 'b', '--wait',
                                      '-f', 'json'], tty=True)
        self.assertEqual(1, code)
        self.assertEqual({'servers': ['a', 'b'], 'os-stop': None,
                          'wait': 300.0, 'async': True},
                         self.posted.last_request.json())
        self.assertEqual(['a', 'b'], [r['Server'] for r in json.loads(out)])
        self.assertEqual([2.0], self.sleeps)
        lines = err.split('\n')
        self.assertEqual(
            ['', '[' + '-' * 30 + '] 0/2 servers done, 0 failed, 0:00:00 '
             'elapsed',
             '[' + '#' * 30 + '] 2/2 servers done, 1 failed, 0:00:02 '
             'elapsed'], lines[0].split('\r'))
        self.assertEqual(['Failed to stop server b: Still ACTIVE after '
                          '300 s (504)', '1 of 2 servers failed to stop.',
                          ''], lines[1:])

    def test_no_progress_bar_off_a_terminal_or_with_no_progress(self):
        self.http.get(self.url(job_fakes.JOB_PATH), json=job_page(
            'SUCCESS', [{'id': 'a', 'state': 'succeeded', 'code': 200,
                         'msg': None}], succeeded=1))
        for argv, tty in ((['vm', 'start', '--wait', '30', 'a'], False),
                          (['vm', 'start', 'a', '--wait', '--no-progress'],
                           True)):
            code, out, err = self.run_vm(argv, tty=tty)
            self.assertEqual((0, ''), (code, err))
            self.assertIn('succeeded', out)
        self.assertEqual(30.0, self.posted.request_history[0].json()['wait'])

    def test_wait_that_times_out_says_how_to_follow(self):
        self.http.get(self.url(job_fakes.JOB_PATH),
                      json=job_page('RUNNING', [], pending=2))
        code, out, err = self.run_vm(['vm', 'stop', 'a', '--wait', '10',
                                      '--timeout', '4'])
        self.assertEqual((1, ''), (code, out))
        self.assertIn('still RUNNING after 4 s. Follow it with: openstack '
                      'vm job wait ' + JOB_ID, err)
        self.assertEqual([2.0, 2.0], self.sleeps)


class StatusTest(osc_fakes.CommandTestCase):

    def test_status(self):
        self.http.get(self.url(ACT), json={'servers': [
            {'id': 'a', 'status': 'ACTIVE', 'task_state': None,
             'power_state': 'running'}]})
        code, out, err = self.run_vm(['vm', 'status', 'a', '-f', 'json'])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual([{'ID': 'a', 'Status': 'ACTIVE', 'Task State': None,
                           'Power State': 'running'}], json.loads(out))

    def test_status_lists_what_was_read_and_reports_the_rest(self):
        self.http.get(self.url(ACT), status_code=207, json={
            'msg': 'State read failed for 1 of 2 servers.', 'code': 207,
            'reason': 'Multi-Status',
            'servers': [{'id': 'a', 'status': 'SHUTOFF', 'task_state': None,
                         'power_state': 'shutdown'}],
            'failures': [{'server': 'b', 'code': 404, 'msg': 'No such'}],
            'succeeded': ['a']})
        code, out, err = self.run_vm(['vm', 'status', 'a', 'b', '-f',
                                      'value'])
        self.assertEqual(1, code)
        self.assertEqual('a SHUTOFF None shutdown\n', out)
        self.assertEqual(['Failed to show server b: No such (404)',
                          '1 of 2 servers failed to show.'],
                         err.splitlines())
