"""vmact.client.Client: the actions, the status read, errors, timeouts."""

import json

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import requests

from tests.unit.client import fakes
from vmact import client
from vmact.client import exceptions

ACT = '/mana_api/vm_act/demo/RegionOne'
FAILED_BODY = {
    'msg': 'os-stop failed for 1 of 2 servers.', 'code': 207,
    'reason': 'Multi-Status',
    'failures': [{'server': 'b', 'code': 409, 'msg': 'in vm_state stopped'}],
    'succeeded': ['a']}


class ActionTest(fakes.ClientTestCase):

    def test_start_found_in_catalog_sends_body_and_token(self):
        self.http.post(self.url(ACT), status_code=200)
        done = self.vm.start('demo', 'RegionOne', ['a', 'b', 'a'])
        self.assertEqual(['a', 'b'], done)
        sent = self.last()
        self.assertEqual(fakes.TOKEN, sent.headers['X-Auth-Token'])
        self.assertEqual({'servers': ['a', 'b', 'a'], 'os-start': None},
                         sent.json())
        self.assertNotIn('Sp-Agent', sent.headers)
        self.assertNotIn('Idempotency-Key', sent.headers)

    def test_interface_and_override_choose_the_endpoint(self):
        self.http.post(fakes.INTERNAL_URL + ACT, status_code=200)
        internal = client.Client(self.session, interface='internal',
                                 region_name='RegionOne')
        internal.stop('demo', 'RegionOne', 'a')
        self.assertEqual(fakes.INTERNAL_URL + ACT, self.last().url)
        self.http.post('http://other.test' + ACT, status_code=200)
        client.Client(self.session, endpoint_override='http://other.test'
                      ).stop('demo', 'RegionOne', 'a')
        self.assertEqual('http://other.test' + ACT, self.last().url)

    def test_path_values_are_quoted(self):
        self.http.post(self.url('/mana_api/vm_act/a%2Fb/R%20x'),
                       status_code=200)
        self.vm.stop('a/b', 'R x', ['s'])
        self.assertEqual(self.url('/mana_api/vm_act/a%2Fb/R%20x'),
                         self.last().url)

    def test_stop_options_and_wait_extends_the_timeout(self):
        self.http.post(self.url(ACT), status_code=200)
        self.vm.stop('demo', 'RegionOne', 'a, b', only_if_needed=True,
                     wait=30)
        self.assertEqual({'servers': ['a', 'b'], 'os-stop': None,
                          'only_if_needed': True, 'wait': 30},
                         self.last().json())
        self.assertEqual(90.0, self.last().timeout)

    def test_reboot_type(self):
        self.http.post(self.url(ACT), status_code=200)
        self.vm.reboot('demo', 'RegionOne', ['a'], type='hard')
        self.assertEqual({'type': 'HARD'}, self.last().json()['reboot'])
        self.vm.reboot('demo', 'RegionOne', ['a'])
        self.assertEqual({'type': 'SOFT'}, self.last().json()['reboot'])
        self.assertRaises(ValueError, self.vm.reboot, 'demo', 'RegionOne',
                          ['a'], type='SOFT_FIRST')

    def test_empty_server_item_is_refused_before_sending(self):
        self.assertRaises(ValueError, self.vm.stop, 'demo', 'R', 'a,,b')
        self.assertRaises(ValueError, self.vm.stop, 'demo', 'R', [])
        self.assertEqual([], self.http.request_history)

    def test_agent_default_and_per_call(self):
        self.http.post(self.url(ACT), status_code=200)
        vm = client.Client(self.session, agent='pbs')
        vm.start('demo', 'RegionOne', ['a'])
        self.assertEqual('pbs', self.last().headers['Sp-Agent'])
        vm.start('demo', 'RegionOne', ['a'], agent='scloudm')
        self.assertEqual('scloudm', self.last().headers['Sp-Agent'])

    def test_idempotency_key_on_post(self):
        self.http.post(self.url(ACT), status_code=200)
        self.vm.reboot('demo', 'RegionOne', ['a'], idempotency_key='k-1')
        self.assertEqual('k-1', self.last().headers['Idempotency-Key'])

    def test_async_returns_the_job(self):
        self.http.post(self.url(ACT), status_code=202,
                       json={'job_id': 'j-1', 'status': 'INIT'},
                       headers={'Location': '/mana_api/jobs/j-1'})
        job = self.vm.stop('demo', 'RegionOne', ['a'], wait=60,
                           async_=True)
        self.assertIsInstance(job, client.Job)
        self.assertEqual(('j-1', 'INIT', '/mana_api/jobs/j-1'),
                         (job.id, job.status, job.location))
        self.assertTrue(self.last().json()['async'])
        self.assertEqual(60.0, self.last().timeout)  # a 202 does not wait

    def test_status_read(self):
        servers = [{'id': 'a', 'status': 'ACTIVE', 'task_state': None,
                    'power_state': 'running'}]
        self.http.get(self.url(ACT), json={'servers': servers})
        self.assertEqual(servers, self.vm.status('demo', 'RegionOne',
                                                 ['a', 'b']))
        self.assertEqual({'servers': ['a,b']}, self.last().qs)
        self.assertEqual('GET', self.last().method)

    def test_status_read_with_failures_keeps_the_servers_read(self):
        body = {'msg': 'State read failed for 1 of 2 servers.', 'code': 207,
                'reason': 'Multi-Status', 'servers': [{'id': 'a'}],
                'failures': [{'server': 'b', 'code': 404, 'msg': 'gone'}],
                'succeeded': ['a']}
        self.http.get(self.url(ACT), status_code=207, json=body)
        e = self.assertRaises(exceptions.PartialFailure, self.vm.status,
                              'demo', 'RegionOne', ['a', 'b'])
        self.assertEqual([{'id': 'a'}], e.servers)
        self.assertEqual([exceptions.Failure('b', 404, 'gone')], e.failures)


class ErrorTest(fakes.ClientTestCase):

    def fail_with(self, status, body=None, **kwargs):
        if body is not None:
            kwargs['text'] = json.dumps(body)
        if status is not None:
            kwargs['status_code'] = status
        self.http.post(self.url(ACT), **kwargs)
        return self.assertRaises(exceptions.VmactError, self.vm.stop,
                                 'demo', 'RegionOne', ['a', 'b'])

    def test_partial_failure_carries_failures_and_succeeded(self):
        e = self.fail_with(207, FAILED_BODY,
                           headers={'x-openstack-request-id': 'req-9'})
        self.assertIsInstance(e, exceptions.PartialFailure)
        self.assertEqual((207, 'Multi-Status', 'req-9'),
                         (e.code, e.reason, e.request_id))
        self.assertEqual('b', e.failures[0].server)
        self.assertEqual(409, e.failures[0].code)
        self.assertEqual(['a'], e.succeeded)
        self.assertEqual('os-stop failed for 1 of 2 servers. (HTTP 207)',
                         str(e))

    def test_each_status_has_its_class(self):
        for status, cls in ((400, exceptions.BadRequest),
                            (401, exceptions.Unauthorized),
                            (403, exceptions.Forbidden),
                            (404, exceptions.NotFound),
                            (409, exceptions.Conflict),
                            (429, exceptions.TooManyRequests),
                            (502, exceptions.BackendError),
                            (503, exceptions.BackendError),
                            (504, exceptions.BackendError),
                            (413, exceptions.VmactError)):
            e = self.fail_with(status, {'msg': 'm%d' % status,
                                        'code': status, 'reason': 'R'})
            self.assertIs(cls, type(e))
            self.assertEqual((status, 'm%d' % status, 'R'),
                             (e.code, e.msg, e.reason))

    def test_retry_after(self):
        e = self.fail_with(429, {'msg': 'busy', 'code': 429},
                           headers={'Retry-After': '7'})
        self.assertEqual(7.0, e.retry_after)
        e = self.fail_with(409, {'msg': 'in progress', 'code': 409},
                           headers={'Retry-After': '1'})
        self.assertEqual(1.0, e.retry_after)

    def test_body_not_json(self):
        e = self.fail_with(502, text='<html>Proxy Error</html>',
                           reason='Bad Gateway')
        self.assertIsInstance(e, exceptions.BackendError)
        self.assertEqual('<html>Proxy Error</html>', e.msg)
        self.assertEqual('Bad Gateway', e.reason)
        self.assertEqual([], e.failures)

    def test_unreachable_and_timeouts(self):
        for exc in (requests.exceptions.ConnectionError,
                    requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            e = self.fail_with(None, exc=exc)
            self.assertIsInstance(e, exceptions.ConnectionFailed)
            self.assertIsNone(e.code)

    def test_an_action_is_sent_once_whatever_happens(self):
        for kwargs in ({'exc': requests.exceptions.ConnectionError},
                       {'status_code': 503, 'json': {'msg': 'down'}}):
            posted = self.http.post(self.url(ACT), **kwargs)
            self.assertRaises(exceptions.VmactError, self.vm.reboot,
                              'demo', 'RegionOne', ['a'])
            self.assertEqual(1, posted.call_count)

    def test_no_endpoint_in_the_catalog(self):
        vm = client.Client(self.session, service_type='no-such')
        e = self.assertRaises(exceptions.ConnectionFailed, vm.stop,
                              'demo', 'RegionOne', ['a'])
        self.assertIn("'no-such'", e.msg)


class TimeoutTest(fakes.ClientTestCase):

    def test_default_session_and_explicit_timeouts(self):
        self.http.get(self.url(ACT), json={'servers': []})
        self.vm.status('demo', 'RegionOne', ['a'])
        self.assertEqual(60.0, self.last().timeout)
        plugin = token_endpoint.Token(fakes.VMACT_URL, 'tok')
        session = ks_session.Session(auth=plugin, timeout=5)
        client.Client(session).status('demo', 'RegionOne', ['a'])
        self.assertEqual(5.0, self.last().timeout)
        client.Client(session, timeout=12).status('demo', 'RegionOne',
                                                  ['a'])
        self.assertEqual(12.0, self.last().timeout)
        self.assertEqual('tok', self.last().headers['X-Auth-Token'])
