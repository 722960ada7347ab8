"""The libcloud driver with libcloud's real EC2 driver on requests-mock.

:class:`FakeEC2` answers EC2's query API (DescribeInstances with
filters, DescribeAddresses, Start/Stop/RebootInstances) in EC2's XML, so
every mapping rule runs through libcloud's own parsing and errors.
"""

import os
from unittest import mock
import urllib.parse

from oslo_config import cfg
from oslotest import base as oslotest_base
import requests
from requests_mock.contrib import fixture as rm_fixture

from vmact.backends import base
from vmact.backends import libcloud
from vmact.conf import agent as agent_conf
from vmact import exception

AGENT = 'ec2'
URL = 'https://ec2.test/'
TAG = 'owner'
TENANT = 'tenant-a'
OTHER = 'tenant-b'
KEY = 'AKIAUNITTESTKEY0001'
SECRET = 'unit-secret-9f8e7d'
NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'

START = base.Action(base.START)
STOP = base.Action(base.STOP)
SOFT = base.Action(base.REBOOT, base.SOFT)
HARD = base.Action(base.REBOOT, base.HARD)


def error_xml(code, message):
    return ('<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
            '</Error></Errors></Response>' % (code, message))


class FakeEC2(object):
    """EC2's query API for requests-mock: instances, refusals, faults.

    ``fail[action]`` = (status, code) fails every call of ``action``;
    ``script[action]`` lists the faults of its next calls, one per call:
    an exception to raise or (status, code, headers).
    """

    def __init__(self):
        self.instances = {}
        self.calls = []
        self.keys = []
        self.fail = {}
        self.script = {}

    def add(self, instance_id, state='running', owner=TENANT):
        self.instances[instance_id] = (state, owner)

    def __call__(self, request, context):
        params = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(request.url).query))
        action = params['Action']
        self.calls.append(action)
        self.keys.append(request.headers.get('Authorization', ''))
        fault = self.fail.get(action) or (
            self.script.get(action) or [None]).pop(0)
        if isinstance(fault, Exception):
            raise fault
        if fault:
            status, code, headers = (tuple(fault) + ({},))[:3]
            context.status_code = status
            context.headers.update(headers)
            return error_xml(code, 'Injected %s.' % code)
        context.status_code = 200
        if action == 'DescribeInstances':
            return self.describe(params)
        if action == 'DescribeAddresses':
            return '<R xmlns="%s"><addressesSet/></R>' % NS
        instance = params['InstanceId.1']
        if action == 'RebootInstances':
            return '<R xmlns="%s"><return>true</return></R>' % NS
        state = self.instances[instance][0]
        new = {'StartInstances': 'pending',
               'StopInstances': 'stopping'}[action]
        if state == new.replace('pending', 'running').replace(
                'stopping', 'stopped'):
            new = state
        return ('<R xmlns="%s"><instancesSet><item><currentState><name>%s'
                '</name></currentState></item></instancesSet></R>'
                % (NS, new))

    def describe(self, params):
        wanted = {}
        for n in range(1, 10):
            name = params.get('Filter.%d.Name' % n)
            if name:
                wanted[name] = {v for k, v in params.items()
                                if k.startswith('Filter.%d.Value.' % n)}
        items = []
        for instance_id, (state, owner) in self.instances.items():
            if instance_id not in wanted.get('instance-id', {instance_id}):
                continue
            if owner not in wanted.get('tag:' + TAG, {owner}):
                continue
            items.append(
                '<item><instanceId>%s</instanceId><instanceState><name>%s'
                '</name></instanceState><tagSet><item><key>%s</key><value>%s'
                '</value></item></tagSet></item>'
                % (instance_id, state, TAG, owner))
        return ('<R xmlns="%s"><reservationSet><item><instancesSet>%s'
                '</instancesSet></item></reservationSet></R>'
                % (NS, ''.join(items)))


class LibcloudTestCase(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.ec2 = FakeEC2()
        self.http = self.useFixture(rm_fixture.Fixture(case_sensitive=True))
        self.http.register_uri('GET', URL, text=self.ec2)
        self.conf = cfg.ConfigOpts()
        agent_conf.register_agent_opts(self.conf, AGENT,
                                       libcloud.LibcloudBackend.list_opts())
        self.conf([], default_config_files=[])
        self.set(backend='libcloud', provider='ec2',
                 regions=['us-east-1', 'eu-west-1'], key=KEY, secret=SECRET,
                 host='ec2.test', owner_tag=TAG,
                 driver_options={'signature_version': '4'},
                 poll_interval=0.01, poll_max_interval=0.02)

    def set(self, **values):
        for name, value in values.items():
            self.conf.set_override(name, value, group=AGENT)

    def backend(self):
        return libcloud.LibcloudBackend(self.conf, AGENT)

    def target(self, *servers, tenant=TENANT, region='us-east-1'):
        return base.Target(tenant, region, servers)

    def act(self, action, *servers, **kw):
        return self.backend().act(None, self.target(*servers, **kw), action)

    def codes(self, outcomes):
        return [o.code for o in outcomes]


class ReadAndActTest(LibcloudTestCase):

    def test_read_maps_states_and_costs_two_calls_per_request(self):
        self.ec2.add('i-1', 'running')
        self.ec2.add('i-2', 'stopped')
        self.ec2.add('i-3', 'stopping')
        shown = self.backend().show(None, self.target('i-1', 'i-2', 'i-3'))
        self.assertEqual(
            [('ACTIVE', None, 'running'), ('SHUTOFF', None, 'shutdown'),
             ('ACTIVE', 'powering-off', 'running')],
            [(o.state.status, o.state.task_state, o.state.power_state)
             for o in shown])
        self.assertEqual(['DescribeInstances', 'DescribeAddresses'],
                         self.ec2.calls)

    def test_batch_acts_once_per_instance(self):
        for n in (1, 2, 3):
            self.ec2.add('i-%d' % n, 'stopped')
        outcomes = self.act(START, 'i-1', 'i-2', 'i-3')
        self.assertEqual([202] * 3, self.codes(outcomes))
        self.assertEqual(3, self.ec2.calls.count('StartInstances'))

    def test_foreign_and_unknown_are_404_alike_and_never_sent(self):
        self.ec2.add('i-mine')
        self.ec2.add('i-theirs', owner=OTHER)
        outcomes = self.act(STOP, 'i-mine', 'i-theirs', 'i-none')
        self.assertEqual([202, 404, 404], self.codes(outcomes))
        self.assertEqual(outcomes[1].msg.replace('i-theirs', 'X'),
                         outcomes[2].msg.replace('i-none', 'X'))
        self.assertEqual(1, self.ec2.calls.count('StopInstances'))

    def test_tag_checked_even_if_the_vendor_ignores_the_filter(self):
        self.ec2.add('i-theirs', owner=OTHER)
        with mock.patch.object(self.ec2, 'describe', lambda params: (
                FakeEC2.describe(self.ec2, {}))):
            outcomes = self.act(STOP, 'i-theirs')
        self.assertEqual([404], self.codes(outcomes))
        self.assertNotIn('StopInstances', self.ec2.calls)

    def test_only_if_needed_sends_only_what_is_needed(self):
        self.ec2.add('i-1', 'stopped')
        self.ec2.add('i-2', 'running')
        outcomes = self.act(base.Action(base.STOP, only_if_needed=True),
                            'i-1', 'i-2')
        self.assertEqual([200, 202], self.codes(outcomes))
        self.assertEqual('already SHUTOFF', outcomes[0].msg)
        self.assertEqual(1, self.ec2.calls.count('StopInstances'))

    def test_start_of_a_running_instance_is_409(self):
        self.ec2.add('i-1', 'running')
        [outcome] = self.act(START, 'i-1')
        self.assertEqual(409, outcome.code)

    def test_soft_reboot_is_sent_and_hard_is_400_naming_the_agent(self):
        self.ec2.add('i-1')
        self.assertEqual([202], self.codes(self.act(SOFT, 'i-1')))
        self.ec2.calls.clear()
        error = self.assertRaises(exception.BadRequest, self.act, HARD, 'i-1')
        self.assertIn('Agent ec2 cannot do a HARD reboot', error.msg)
        self.assertEqual([], self.ec2.calls)

    def test_hard_reboot_when_configured(self):
        self.set(reboot_types=['HARD'])
        self.ec2.add('i-1')
        self.assertEqual([202], self.codes(self.act(HARD, 'i-1')))
        self.assertRaises(exception.BadRequest, self.act, SOFT, 'i-1')

    def test_unknown_region_is_400_naming_known(self):
        error = self.assertRaises(exception.UnknownRegion, self.act, STOP,
                                  'i-1', region='mars-1')
        self.assertIn('eu-west-1, us-east-1', error.msg)
        self.assertEqual([], self.ec2.calls)

    def test_wait_follows_to_stopped(self):
        self.ec2.add('i-1', 'running')
        backend = self.backend()
        action = base.Action(base.STOP, wait=2)
        target = self.target('i-1')
        outcomes = backend.act(None, target, action)
        self.ec2.add('i-1', 'stopped')
        [settled] = backend.wait(None, target, action, outcomes)
        self.assertEqual((200, 'reached SHUTOFF'), (settled.code, settled.msg))


class ErrorsTest(LibcloudTestCase):

    def outcome_when(self, action_name, status, code):
        self.ec2.add('i-1', 'stopped')
        self.ec2.fail[action_name] = (status, code)
        [outcome] = self.act(START, 'i-1')
        return outcome

    def test_wrong_state_is_409_with_the_vendor_message(self):
        outcome = self.outcome_when('StartInstances', 400,
                                    'IncorrectInstanceState')
        self.assertEqual(409, outcome.code)
        self.assertIn('IncorrectInstanceState: Injected', outcome.msg)

    def test_not_found_from_the_vendor_is_404(self):
        outcome = self.outcome_when('StartInstances', 400,
                                    'InvalidInstanceID.NotFound')
        self.assertEqual((404, 'Instance i-1 could not be found.'),
                         (outcome.code, outcome.msg))

    def test_not_resent_even_with_libcloud_retry_switched_on(self):
        with mock.patch.dict(os.environ,
                             {'LIBCLOUD_RETRY_FAILED_HTTP_REQUESTS': '1'}):
            self.http.register_uri('GET', URL, exc=requests.ConnectionError)
            outcomes = self.act(STOP, 'i-1')
        self.assertEqual([503], self.codes(outcomes))
        self.assertEqual(1, self.http.call_count)

    def test_vendor_unavailable_is_503(self):
        outcome = self.outcome_when('DescribeInstances', 503, 'Unavailable')
        self.assertEqual(503, outcome.code)
        self.assertNotIn('StartInstances', self.ec2.calls)

    def test_vendor_internal_error_is_502(self):
        outcome = self.outcome_when('StartInstances', 500, 'InternalError')
        self.assertEqual(502, outcome.code)

    def test_auth_failure_is_502_without_credentials(self):
        outcome = self.outcome_when('DescribeInstances', 401, 'AuthFailure')
        self.assertEqual(502, outcome.code)
        self.assertEqual('Agent ec2 could not authenticate to its vendor',
                         outcome.msg)

    def test_unauthorized_operation_is_502(self):
        outcome = self.outcome_when('StartInstances', 403,
                                    'UnauthorizedOperation')
        self.assertEqual(502, outcome.code)
        self.assertNotIn(KEY, outcome.msg)

    def test_timeout_is_504(self):
        self.http.register_uri('GET', URL, exc=requests.ReadTimeout)
        self.assertEqual([504], self.codes(self.act(STOP, 'i-1')))

    def test_unreachable_is_503(self):
        self.http.register_uri('GET', URL, exc=requests.ConnectionError)
        self.assertEqual([503], self.codes(self.act(STOP, 'i-1')))


class AccountsTest(LibcloudTestCase):
    """Ownership by account, drivers built once, configuration errors."""

    def test_tenant_credentials_are_used_for_that_tenant_only(self):
        self.set(tenant_credentials={OTHER: 'AKIAOTHER0000001:other-secret'})
        self.ec2.add('i-1', owner=OTHER)
        self.ec2.add('i-2', owner=TENANT)
        backend = self.backend()
        backend.act(None, self.target('i-1', tenant=OTHER), STOP)
        self.assertTrue(all('AKIAOTHER0000001' in k for k in self.ec2.keys))
        self.ec2.keys.clear()
        backend.act(None, self.target('i-2'), STOP)
        self.assertTrue(all(KEY in k for k in self.ec2.keys))

    def test_without_owner_tag_only_tenants_with_accounts_have_servers(self):
        self.set(owner_tag=None,
                 tenant_credentials={OTHER: 'AKIAOTHER0000001:s'})
        self.ec2.add('i-1', owner=OTHER)
        self.assertEqual([404], self.codes(self.act(STOP, 'i-1')))
        self.assertEqual([], self.ec2.calls)
        self.assertEqual([202], self.codes(self.act(STOP, 'i-1',
                                                    tenant=OTHER)))

    def test_drivers_are_built_once_per_region_and_reused(self):
        self.ec2.add('i-1')
        original = libcloud.LibcloudBackend._build
        with mock.patch.object(libcloud.LibcloudBackend, '_build',
                               autospec=True,
                               side_effect=original) as built:
            backend = self.backend()
            self.assertEqual(2, built.call_count)
            for _ in range(3):
                backend.act(None, self.target('i-1'), SOFT)
                backend.show(None, self.target('i-1', region='eu-west-1'))
        self.assertEqual(2, built.call_count)

    def test_timeout_is_cut_to_the_deadline(self):
        self.set(timeout=30, request_deadline=0.5)
        self.ec2.add('i-1')
        seen = []
        original = requests.Session.request

        def spy(session, *args, **kwargs):
            seen.append(kwargs['timeout'])
            return original(session, *args, **kwargs)
        with mock.patch.object(requests.Session, 'request', spy):
            self.act(STOP, 'i-1')
        self.assertTrue(seen)
        self.assertTrue(all(t <= 0.5 for t in seen), seen)

    def test_configuration_errors(self):
        for values, part in (
                ({'provider': None}, 'needs provider and regions'),
                ({'provider': 'no-such'}, 'no such compute provider'),
                ({'owner_tag': None}, 'needs owner_tag'),
                ({'tenant_credentials': {OTHER: 'only-a-key'}},
                 'not tenant_id:key:secret'),
                ({'regions': ['mars-1']}, 'Invalid region: mars-1')):
            self.set(**values)
            error = self.assertRaises(exception.ConfigError, self.backend)
            self.assertIn(part, str(error))
            self.set(provider='ec2', owner_tag=TAG, tenant_credentials={},
                     regions=['us-east-1'], driver_options={})

    def test_secrets_are_secret_options(self):
        opts = {o.name: o for o in libcloud.LibcloudBackend.list_opts()}
        for name in ('key', 'secret', 'tenant_credentials'):
            self.assertTrue(opts[name].secret, name)
