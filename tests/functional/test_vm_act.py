"""vmact over HTTP in front of real Keystone and real Nova.

Every test sends requests to vmact-api exactly as a client would and
checks what happened in Nova itself (as Nova's admin sees it), not only
what vmact answered.
"""

import re
import uuid

import requests

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service

START = 'os-start'
STOP = 'os-stop'
REBOOT = 'reboot'
UNAUTHENTICATED = 'The request you have made requires authentication.'


class ActionsTest(base.VmactTestCase):
    """Each action for real, on one server and on a batch."""

    def test_stop_then_start(self):
        server_id, = self.active_servers()
        self.assertAccepted(self.act(self.body(STOP, [server_id])))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        self.assertAccepted(self.act(self.body(START, [server_id])))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'ACTIVE')

    def test_actions_are_done_as_the_caller(self):
        server_id, = self.active_servers()
        self.assertAccepted(self.act(self.body(STOP, [server_id])))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        last = self.instance_actions(server_id)[-1]
        self.assertEqual('stop', last['action'])
        self.assertEqual(self.cloud.user_ids[cloud.ALICE.name],
                         last['user_id'])
        self.assertEqual(self.tenant_id(), last['project_id'])

    def test_soft_reboot_returns_to_active(self):
        server_id, = self.active_servers()
        before = len(self.action_request_ids(server_id))
        self.assertAccepted(self.act(self.body(
            REBOOT, [server_id], action_value={'type': 'SOFT'})))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'ACTIVE')
        actions = self.instance_actions(server_id)
        self.assertEqual(before + 1, len(actions))
        self.assertEqual('reboot', actions[-1]['action'])

    def test_reboot_without_type_is_soft(self):
        """Nova refuses a SOFT reboot of a stopped server, not a HARD one."""
        server_id, = self.active_servers()
        self.cloud.ensure_status(cloud.REGION_ONE, [server_id], 'SHUTOFF')
        body = self.assertError(409, self.act(self.body(REBOOT, [server_id])))
        self.assertIn('vm_state stopped', body['failures'][0]['msg'])
        self.assertServerStatus('SHUTOFF', server_id)

    def test_hard_reboot_reaches_nova_as_hard(self):
        """A HARD reboot (type in lower case) brings a stopped server up."""
        server_id, = self.active_servers()
        self.cloud.ensure_status(cloud.REGION_ONE, [server_id], 'SHUTOFF')
        self.assertAccepted(self.act(self.body(
            REBOOT, [server_id], action_value={'type': 'hard'})))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'ACTIVE')

    def test_batch_stops_every_server(self):
        servers = self.active_servers(count=3)
        self.assertAccepted(self.act(self.body(STOP, servers)))
        for server_id in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id,
                                       'SHUTOFF')


class RequestFormsTest(base.VmactTestCase):
    """The seed document's request forms reach Nova."""

    def test_seed_path_form_with_server_in_path(self):
        server_id, = self.active_servers()
        path = '/%s/%s/%s' % (self.tenant_id(), cloud.REGION_ONE, server_id)
        self.assertAccepted(self.act({STOP: None}, path=path))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')

    def test_tenant_and_region_in_path_servers_in_body(self):
        servers = self.active_servers(count=2)
        path = '/%s/%s' % (self.tenant_id(), cloud.REGION_ONE)
        self.assertAccepted(self.act({'servers': servers, STOP: {}},
                                     path=path))
        for server_id in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id,
                                       'SHUTOFF')

    def test_curl_form_servers_as_string_and_spaced_key(self):
        """curl -d: form content type, servers as "a, b", 'os-stop '."""
        servers = self.active_servers(count=2)
        raw = ('{"tenant_id": "%s", "region": "%s", "servers": "%s", '
               '"os-stop ": null}' % (self.tenant_id(), cloud.REGION_ONE,
                                      ' , '.join(servers)))
        response = self.act(None, raw_body=raw.encode(), headers={
            'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertAccepted(response)
        for server_id in servers:
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id,
                                       'SHUTOFF')

    def test_seed_token_header(self):
        server_id, = self.active_servers()
        response = requests.post(
            self.vmact.url + '/mana_api/vm_act',
            json=self.body(STOP, [server_id]),
            headers={'token': self.cloud.token(cloud.ALICE)},
            timeout=cloud.HTTP_TIMEOUT)
        self.assertAccepted(response)
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')

    def test_explicit_default_and_service_agents_both_act(self):
        first, second = self.active_servers(count=2)
        self.assertAccepted(self.act(self.body(STOP, [first]),
                                     agent=vmact_service.TOKEN_AGENT))
        self.assertAccepted(self.act(self.body(STOP, [second]),
                                     agent=vmact_service.SERVICE_AGENT))
        for server_id in (first, second):
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id,
                                       'SHUTOFF')


class NovaRefusalsTest(base.VmactTestCase):
    """Nova's own answers come back per the contract."""

    def test_invalid_state_is_409_with_novas_message(self):
        server_id, = self.active_servers()
        body = self.assertError(409, self.act(self.body(START, [server_id])))
        self.assertEqual([], body['succeeded'])
        failure, = body['failures']
        self.assertEqual(server_id, failure['server'])
        self.assertEqual(409, failure['code'])
        self.assertEqual("Cannot 'start' instance %s while it is in "
                         "vm_state active" % server_id, failure['msg'])

    def test_unknown_server_is_404(self):
        unknown = str(uuid.uuid4())
        body = self.assertError(404, self.act(self.body(STOP, [unknown])))
        failure, = body['failures']
        self.assertEqual(unknown, failure['server'])
        self.assertEqual(404, failure['code'])
        self.assertIn(unknown, failure['msg'])

    def test_mixed_batch_is_207_and_the_good_one_acts(self):
        stopped, active = self.active_servers(count=2)
        self.cloud.ensure_status(cloud.REGION_ONE, [stopped], 'SHUTOFF')
        body = self.assertError(207, self.act(self.body(
            START, [stopped, active])))
        self.assertEqual([stopped], body['succeeded'])
        self.assertEqual([active], [f['server'] for f in body['failures']])
        self.assertEqual([409], [f['code'] for f in body['failures']])
        self.cloud.wait_for_status(cloud.REGION_ONE, stopped, 'ACTIVE')

    def test_malformed_body_never_reaches_nova(self):
        server_id, = self.active_servers()
        before = self.action_request_ids(server_id)
        self.assertError(400, self.act(None, raw_body=b'{"os-stop": '))
        self.assertError(400, self.act(self.body(
            STOP, [server_id], **{'os-start': None})))
        self.assertError(400, self.act(self.body('os-stpo', [server_id])))
        self.assertEqual(before, self.action_request_ids(server_id))
        self.assertServerStatus('ACTIVE', server_id)


class TenantIsolationTest(base.VmactTestCase):
    """Nothing of the wrong tenant changes state."""

    def test_other_tenants_token_on_tenant_a(self):
        server_id, = self.active_servers()
        before = self.action_request_ids(server_id)
        self.assertError(403, self.act(self.body(STOP, [server_id]),
                                       user=cloud.BOB))
        self.assertEqual(before, self.action_request_ids(server_id))
        self.assertServerStatus('ACTIVE', server_id)

    def test_other_tenants_token_and_tenant_with_a_server(self):
        server_id, = self.active_servers()
        before = self.action_request_ids(server_id)
        body = self.assertError(404, self.act(self.body(
            STOP, [server_id], tenant=cloud.TENANT_B), user=cloud.BOB))
        self.assertEqual([server_id],
                         [f['server'] for f in body['failures']])
        self.assertEqual(before, self.action_request_ids(server_id))
        self.assertServerStatus('ACTIVE', server_id)

    def test_service_agent_refuses_a_server_of_another_tenant(self):
        """The service user could stop it; vmact must not let it."""
        server_id, = self.active_servers()
        own_id, = self.active_servers(tenant=cloud.TENANT_B)
        before = self.action_request_ids(server_id)
        body = self.assertError(207, self.act(
            self.body(STOP, [server_id, own_id], tenant=cloud.TENANT_B),
            user=cloud.BOB, agent=vmact_service.SERVICE_AGENT))
        self.assertEqual([own_id], body['succeeded'])
        failure, = body['failures']
        self.assertEqual((server_id, 404),
                         (failure['server'], failure['code']))
        self.assertEqual(before, self.action_request_ids(server_id))
        self.assertServerStatus('ACTIVE', server_id)
        self.cloud.wait_for_status(cloud.REGION_ONE, own_id, 'SHUTOFF')

    def test_service_agent_acts_with_the_service_user(self):
        server_id, = self.active_servers(tenant=cloud.TENANT_B)
        self.assertAccepted(self.act(
            self.body(STOP, [server_id], tenant=cloud.TENANT_B),
            user=cloud.BOB, agent=vmact_service.SERVICE_AGENT))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        last = self.instance_actions(server_id)[-1]
        self.assertEqual('stop', last['action'])
        self.assertEqual(self.cloud.user_ids[cloud.VMACT.name],
                         last['user_id'])

    def test_admin_acts_for_a_project(self):
        server_id, = self.active_servers()
        other_id, = self.active_servers(tenant=cloud.TENANT_B)
        before = self.action_request_ids(other_id)
        body = self.assertError(207, self.act(
            self.body(STOP, [server_id, other_id]), user=cloud.ADMIN))
        self.assertEqual([server_id], body['succeeded'])
        self.assertEqual([(other_id, 404)], [
            (f['server'], f['code']) for f in body['failures']])
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        self.assertEqual(before, self.action_request_ids(other_id))
        self.assertServerStatus('ACTIVE', other_id)


class ReaderTest(base.VmactTestCase):
    """A reader may read status and may not act."""

    def test_reader_reads_status(self):
        active, stopped = self.active_servers(count=2)
        self.cloud.ensure_status(cloud.REGION_ONE, [stopped], 'SHUTOFF')
        response = self.show_states([active, stopped], user=cloud.RITA)
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual({'servers': [
            {'id': active, 'status': 'ACTIVE', 'task_state': None,
             'power_state': 'running'},
            {'id': stopped, 'status': 'SHUTOFF', 'task_state': None,
             'power_state': 'shutdown'},
        ]}, response.json())

    def test_status_of_an_unknown_server_is_a_failure(self):
        active, = self.active_servers()
        unknown = str(uuid.uuid4())
        body = self.assertError(207, self.show_states([active, unknown]))
        self.assertEqual([active], [s['id'] for s in body['servers']])
        self.assertEqual([(unknown, 404)], [
            (f['server'], f['code']) for f in body['failures']])

    def test_reader_may_not_act(self):
        server_id, = self.active_servers()
        before = self.action_request_ids(server_id)
        for action in (STOP, REBOOT):
            self.assertError(403, self.act(self.body(action, [server_id]),
                                           user=cloud.RITA))
        self.assertEqual(before, self.action_request_ids(server_id))
        self.assertServerStatus('ACTIVE', server_id)


class TokenTest(base.VmactTestCase):
    """Real token validation."""

    def test_invalid_token_is_401(self):
        server_id, = self.active_servers()
        body = self.assertError(401, self.act(self.body(STOP, [server_id]),
                                              token='not-a-real-token'))
        self.assertEqual(UNAUTHENTICATED, body['msg'])
        self.assertServerStatus('ACTIVE', server_id)

    def test_no_token_is_401(self):
        response = requests.post(self.vmact.url + '/mana_api/vm_act',
                                 json={}, timeout=cloud.HTTP_TIMEOUT)
        self.assertEqual(UNAUTHENTICATED,
                         self.assertError(401, response)['msg'])

    def test_expired_token_is_401(self):
        server_id, = self.active_servers()
        token = self.cloud.short_lived_token(cloud.ALICE, seconds=2)
        self.cloud.wait_until_expired(token)
        body = self.assertError(401, self.act(self.body(STOP, [server_id]),
                                              token=token))
        self.assertEqual(UNAUTHENTICATED, body['msg'])
        self.assertServerStatus('ACTIVE', server_id)

    def test_keystone_down_is_503_not_a_traceback(self):
        """Keystone unreachable: 503 (not 401: the token is not at fault).

        The token is new, so no cache (vmact's or Nova's) knows it.
        Once Keystone is back, the same token works.
        """
        server_id, = self.active_servers()
        token = self.cloud.token(cloud.ALICE, fresh=True)
        self.cloud.stop_keystone()
        self.addCleanup(self.cloud.ensure_keystone)
        response = self.act(self.body(STOP, [server_id]), token=token)
        self.assertError(503, response)
        self.assertServerStatus('ACTIVE', server_id)
        self.cloud.ensure_keystone()
        self.assertAccepted(self.act(self.body(STOP, [server_id]),
                                     token=token))
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')

    def test_healthcheck_needs_no_token(self):
        response = requests.get(self.vmact.url + '/healthcheck',
                                timeout=cloud.HTTP_TIMEOUT)
        self.assertEqual(200, response.status_code)


class AuditTest(base.VmactTestCase):
    """What vmact logs about an action."""

    def test_one_audit_line_and_no_secret_in_the_log(self):
        server_id, = self.active_servers()
        token = self.cloud.token(cloud.ALICE, fresh=True)
        response = self.act(self.body(STOP, [server_id]), token=token)
        self.assertAccepted(response)
        request_id = response.headers['x-openstack-request-id']
        log = self.vmact.log()
        audit = [line for line in log.splitlines()
                 if 'audit:' in line and request_id in line]
        self.assertEqual(1, len(audit), audit)
        for expected in (server_id, 'os-stop', vmact_service.TOKEN_AGENT,
                         cloud.REGION_ONE,
                         self.cloud.user_ids[cloud.ALICE.name]):
            self.assertIn(expected, audit[0])
        self.assertNotIn(token, log)
        self.assertNotIn(cloud.VMACT.password, log)


class RegionTest(base.VmactTestCase):
    """The region picks the Nova."""

    def test_region_two_reaches_the_second_nova(self):
        server_id, = self.active_servers(region=cloud.REGION_TWO)
        self.assertAccepted(self.act(self.body(
            STOP, [server_id], region=cloud.REGION_TWO)))
        self.cloud.wait_for_status(cloud.REGION_TWO, server_id, 'SHUTOFF')

    def test_wrong_region_does_not_find_the_server(self):
        server_id, = self.active_servers(region=cloud.REGION_TWO)
        self.assertError(404, self.act(self.body(
            STOP, [server_id], region=cloud.REGION_ONE)))
        self.assertServerStatus('ACTIVE', server_id, cloud.REGION_TWO)

    def test_unknown_region_is_400(self):
        server_id, = self.active_servers()
        body = self.assertError(400, self.act(self.body(
            STOP, [server_id], region='RegionNowhere')))
        self.assertIn('RegionNowhere', body['msg'])
        self.assertServerStatus('ACTIVE', server_id)


class ExtensionsTest(base.VmactTestCase):
    """only_if_needed and wait."""

    def test_only_if_needed_sends_nothing_to_a_server_already_there(self):
        stopped, active = self.active_servers(count=2)
        self.cloud.ensure_status(cloud.REGION_ONE, [stopped], 'SHUTOFF')
        stopped_before = self.action_request_ids(stopped)
        active_before = len(self.action_request_ids(active))
        self.assertAccepted(self.act(self.body(
            STOP, [stopped, active], only_if_needed=True)))
        self.cloud.wait_for_status(cloud.REGION_ONE, active, 'SHUTOFF')
        self.assertEqual(stopped_before, self.action_request_ids(stopped))
        self.assertEqual(active_before + 1,
                         len(self.action_request_ids(active)))

    def test_wait_returns_once_nova_shows_the_target_state(self):
        servers = self.active_servers(count=2)
        self.assertAccepted(self.act(self.body(STOP, servers, wait=30)))
        for server_id in servers:
            server = self.cloud.show_server(cloud.REGION_ONE, server_id)
            self.assertEqual(('SHUTOFF', None), (
                server['status'], server['OS-EXT-STS:task_state']))

    def test_wait_after_reboot_is_active_with_no_task(self):
        server_id, = self.active_servers()
        self.assertAccepted(self.act(self.body(
            REBOOT, [server_id], action_value={'type': 'HARD'}, wait=30)))
        server = self.cloud.show_server(cloud.REGION_ONE, server_id)
        self.assertEqual(('ACTIVE', None), (
            server['status'], server['OS-EXT-STS:task_state']))


class RequestIdTest(base.VmactTestCase):
    """vmact's request id leads to Nova's instance action."""

    def test_request_id_leads_to_the_instance_action(self):
        """Nova logs vmact's id as the global request id of its call.

        os-instance-actions records Nova's own (local) request id; the
        Nova log line carrying vmact's id as global id names it.
        """
        server_id, = self.active_servers()
        response = self.act(self.body(STOP, [server_id]))
        self.assertAccepted(response)
        vmact_request_id = response.headers['x-openstack-request-id']
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        nova_request_ids = set(re.findall(
            r'\[%s (req-[0-9a-f-]+) ' % re.escape(vmact_request_id),
            self.cloud.nova_log(cloud.REGION_ONE)))
        self.assertNotEqual(set(), nova_request_ids)
        stops = [action for action in self.instance_actions(server_id)
                 if action['request_id'] in nova_request_ids]
        self.assertEqual(['stop'], [action['action'] for action in stops])
