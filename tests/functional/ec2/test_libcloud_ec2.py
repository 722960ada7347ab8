"""The libcloud agent end to end: vmact-api, real Keystone, EC2 (moto).

See :mod:`tests.functional.ec2` for the server and its proxy. Each test
creates its own instances, tagged with the tenant's project id.
"""

import time

import requests

from tests.functional import base
from tests.functional.ec2 import server as ec2_server
from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service

_VMACT = {}


def get_vmact_ec2(auth_url):
    """The test process's vmact-api for the ec2 agent, started once."""
    if 'service' not in _VMACT:
        sections = vmact_service.config_sections(0, '', auth_url)
        vmact = ec2_server.VmactEC2(
            {'keystone_authtoken': sections['keystone_authtoken']})
        _VMACT['service'] = vmact
        vmact.start()
    return _VMACT['service']


class LibcloudEC2Test(base.VmactTestCase):
    """vmact's contract through libcloud's EC2 driver."""

    def setUp(self):
        base.FunctionalTestCase.setUp(self)
        self.vmact = get_vmact_ec2(self.cloud.auth_url)
        self.proxy = self.vmact.proxy
        self.proxy.reset()
        self.addCleanup(self.proxy.reset)
        self.ec2 = self.vmact.moto.ec2()

    @classmethod
    def tearDownClass(cls):
        if 'service' in _VMACT:
            _VMACT.pop('service').stop()
        super().tearDownClass()

    def instances(self, count, tenant=cloud.TENANT_A, stopped=False):
        """``count`` new instances tagged as ``tenant``'s."""
        made = self.ec2.run_instances(
            ImageId=ec2_server.IMAGE_ID, MinCount=count, MaxCount=count,
            TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{
                'Key': ec2_server.TAG, 'Value': self.tenant_id(tenant)}]}])
        ids = [i['InstanceId'] for i in made['Instances']]
        if stopped:
            self.ec2.stop_instances(InstanceIds=ids)
        return ids

    def ec2_states(self, ids):
        """EC2's own state name of each instance, asked by boto3."""
        found = self.ec2.describe_instances(InstanceIds=ids)
        states = {i['InstanceId']: i['State']['Name']
                  for r in found['Reservations'] for i in r['Instances']}
        return [states[i] for i in ids]

    def do(self, action, ids, tenant=cloud.TENANT_A, user=cloud.ALICE,
           **extra):
        return self.act(self.body(action, ids, tenant=tenant,
                                  region=ec2_server.REGION, **extra),
                        user=user)

    def test_stop_start_reboot_batches(self):
        ids = self.instances(3)
        self.assertAccepted(self.do('os-stop', ids))
        self.assertEqual(['stopped'] * 3, self.ec2_states(ids))
        self.assertAccepted(self.do('os-start', ids))
        self.assertEqual(['running'] * 3, self.ec2_states(ids))
        self.assertAccepted(self.do('reboot', ids))
        self.assertEqual(3, self.proxy.calls['RebootInstances'])
        self.assertEqual(3, self.proxy.calls['StartInstances'])

    def test_hard_reboot_is_400_naming_the_agent(self):
        ids = self.instances(1)
        response = self.do('reboot', ids, action_value={'type': 'HARD'})
        self.assertError(400, response, 'Agent ec2 cannot do a HARD reboot')
        self.assertEqual(0, self.proxy.calls['RebootInstances'])

    def test_one_instance_in_wrong_state_others_act(self):
        ids = self.instances(3, stopped=True)
        self.proxy.refuse = {ids[1]}
        body = self.assertError(207, self.do('os-start', ids))
        self.assertEqual([ids[1]], [f['server'] for f in body['failures']])
        self.assertEqual(409, body['failures'][0]['code'])
        self.assertIn('IncorrectInstanceState', body['failures'][0]['msg'])
        self.assertEqual(['running', 'stopped', 'running'],
                         self.ec2_states(ids))

    def test_tenants_by_tag_foreign_and_unknown_are_404(self):
        mine = self.instances(1)
        theirs = self.instances(1, tenant=cloud.TENANT_B)
        unknown = 'i-0123456789abcdef0'
        body = self.assertError(207, self.do('os-stop',
                                             mine + theirs + [unknown]))
        failures = {f['server']: f for f in body['failures']}
        self.assertEqual({404}, {f['code'] for f in failures.values()})
        self.assertEqual(
            failures[theirs[0]]['msg'].replace(theirs[0], 'X'),
            failures[unknown]['msg'].replace(unknown, 'X'))
        self.assertEqual(['stopped', 'running'],
                         self.ec2_states(mine + theirs))
        self.assertEqual(1, self.proxy.calls['StopInstances'])
        self.assertAccepted(self.do('os-stop', theirs, tenant=cloud.TENANT_B,
                                    user=cloud.BOB))
        self.assertEqual(['stopped'], self.ec2_states(theirs))

    def test_only_if_needed_and_status_read(self):
        ids = self.instances(2)
        self.ec2.stop_instances(InstanceIds=ids[:1])
        self.assertAccepted(self.do('os-stop', ids, only_if_needed=True))
        self.assertEqual(1, self.proxy.calls['StopInstances'])
        response = self.show_states(ids, region=ec2_server.REGION)
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(
            [{'id': i, 'status': 'SHUTOFF', 'task_state': None,
              'power_state': 'shutdown'} for i in ids],
            response.json()['servers'])

    def test_wait_to_stopped(self):
        ids = self.instances(2)
        self.assertAccepted(self.do('os-stop', ids, wait=10))
        self.assertEqual(['stopped'] * 2, self.ec2_states(ids))

    def test_unknown_region_names_known(self):
        response = self.act(self.body('os-stop', self.instances(1),
                                      region='mars-1'))
        self.assertError(400, response, 'eu-west-1, us-east-1')

    def test_throttled_once_is_resent_and_acts(self):
        ids = self.instances(2)
        self.proxy.throttle_once = {'StopInstances'}
        self.assertAccepted(self.do('os-stop', ids))
        self.assertEqual(['stopped'] * 2, self.ec2_states(ids))
        self.assertEqual([2, 2], [self.proxy.server_calls['StopInstances', i]
                                  for i in ids])

    def test_throttled_every_time_is_429_after_the_retries(self):
        ids = self.instances(2)
        self.proxy.throttle = {'StopInstances'}
        started = time.monotonic()
        body = self.assertError(429, self.do('os-stop', ids))
        print('libcloud agent, EC2 throttling: 429 after %.2fs (waits 0.5s '
              'and 1s)' % (time.monotonic() - started))
        self.assertIn('RequestLimitExceeded', body['failures'][0]['msg'])
        self.assertEqual([ec2_server.THROTTLE_RETRIES + 1] * 2,
                         [self.proxy.server_calls['StopInstances', i]
                          for i in ids])
        self.assertEqual(['running'] * 2, self.ec2_states(ids))

    def test_auth_failure_is_502_without_credentials(self):
        ids = self.instances(1)
        self.proxy.auth_fail = True
        response = self.do('os-stop', ids)
        body = self.assertError(502, response)
        self.assertIn('could not authenticate', body['failures'][0]['msg'])
        self.assertEqual(1, self.proxy.calls['DescribeInstances'])
        for secret in (ec2_server.KEY, ec2_server.SECRET):
            self.assertNotIn(secret, response.text)
            self.assertNotIn(secret, self.vmact.log())

    def test_hanging_vendor_is_504_within_the_bound(self):
        ids = self.instances(1)
        self.proxy.hang = 4
        started = time.monotonic()
        response = self.do('os-stop', ids)
        took = time.monotonic() - started
        body = self.assertError(504, response)
        self.assertIn('timed out', body['failures'][0]['msg'])
        print('libcloud agent, EC2 hanging: 504 after %.2fs (timeout 2s)'
              % took)
        self.assertLess(took, 6 + 5)

    def test_zz_ec2_server_stopped_is_503_within_the_bound(self):
        ids = self.instances(1)
        self.vmact.proxy.stop()
        self.vmact.moto.stop()
        started = time.monotonic()
        response = self.do('os-stop', ids)
        took = time.monotonic() - started
        body = self.assertError(503, response)
        self.assertIn('could not be reached', body['failures'][0]['msg'])
        print('libcloud agent, EC2 stopped: 503 after %.2fs' % took)
        self.assertLess(took, 6 + 5)
        self.assertNotIn(ec2_server.SECRET, self.vmact.log())
        self.assertNotIn(ec2_server.KEY, self.vmact.log())
        self.assertRaises(requests.ConnectionError, requests.get,
                          self.vmact.moto.url, timeout=2)
