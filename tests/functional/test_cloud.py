"""Smoke tests of the harness: real Keystone and Nova, no vmact.

They prove what the vmact tests rely on: tokens are real and scoped,
Nova validates them against Keystone, applies its own state rules, hides
other tenants' servers and enforces the member rule for actions, and two
regions are two different Novas.
"""

import re
import time
import uuid

from novaclient import exceptions as nova_exceptions
import requests
from testtools import content

from tests.functional import base
from tests.functional.fixtures import cloud


class KeystoneTest(base.FunctionalTestCase):
    """The identity side of the cloud."""

    def test_tokens_are_scoped_to_their_tenants(self):
        identity = self.cloud.identity(cloud.ADMIN)
        for user in (cloud.ALICE, cloud.BOB, cloud.RITA):
            token = self.cloud.token(user)
            body = identity.get('/auth/tokens', headers={
                'X-Subject-Token': token}).json()['token']
            self.assertEqual(user.name, body['user']['name'])
            self.assertEqual(self.cloud.project_ids[user.project],
                             body['project']['id'])
            self.assertIn(user.roles[0],
                          [role['name'] for role in body['roles']])

    def test_reader_has_no_member_role(self):
        body = self.cloud.identity(cloud.ADMIN).get('/auth/tokens', headers={
            'X-Subject-Token': self.cloud.token(cloud.RITA)}).json()['token']
        self.assertEqual(['reader'],
                         [role['name'] for role in body['roles']])

    def test_catalog_has_one_compute_endpoint_per_region(self):
        session = self.cloud.session(cloud.ALICE)
        urls = {}
        for region in cloud.REGIONS:
            urls[region] = session.get_endpoint(
                service_type='compute', interface='public',
                region_name=region)
            self.assertEqual(self.cloud.nova_url(region), urls[region])
        self.assertNotEqual(urls[cloud.REGION_ONE], urls[cloud.REGION_TWO])

    def test_expired_token_is_rejected_by_nova(self):
        # Long enough to be used once before it expires, on a busy host.
        token = self.cloud.short_lived_token(cloud.ALICE, seconds=5)
        url = self.cloud.nova_url(cloud.REGION_ONE) + '/servers'
        self.assertEqual(200, requests.get(
            url, headers={'X-Auth-Token': token}).status_code)
        self.cloud.wait_until_expired(token)
        response = requests.get(url, headers={'X-Auth-Token': token})
        self.assertEqual(401, response.status_code, response.text)


class NovaTest(base.FunctionalTestCase):
    """Nova behind Keystone: state rules, isolation, policy, regions."""

    def test_stop_rule_requires_member(self):
        for region in cloud.REGIONS:
            self.assertEqual('rule:project_member_or_admin',
                             self.cloud.nova_info[region]['stop_rule'])

    def test_member_stops_and_starts_own_server(self):
        server_id, = self.active_servers()
        nova = self.cloud.nova(cloud.ALICE)
        started = time.monotonic()
        nova.servers.stop(server_id)
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        nova.servers.start(server_id)
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'ACTIVE')
        self.addDetail('stop_start_seconds', content.text_content(
            '%.2f' % (time.monotonic() - started)))

    def test_nova_refuses_to_start_an_active_server(self):
        server_id, = self.active_servers()
        error = self.assertRaises(
            nova_exceptions.Conflict,
            self.cloud.nova(cloud.ALICE).servers.start, server_id)
        self.assertIn("Cannot 'start' instance %s while it is in vm_state "
                      "active" % server_id, str(error))

    def test_reboot_types_return_to_active(self):
        server_id, = self.active_servers()
        nova = self.cloud.nova(cloud.ALICE)
        for reboot_type in ('SOFT', 'HARD'):
            nova.servers.reboot(server_id, reboot_type=reboot_type)
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'ACTIVE')

    def test_other_tenant_gets_404_and_nothing_changes(self):
        server_id, = self.active_servers()
        nova = self.cloud.nova(cloud.BOB)
        self.assertRaises(nova_exceptions.NotFound, nova.servers.get,
                          server_id)
        self.assertRaises(nova_exceptions.NotFound, nova.servers.stop,
                          server_id)
        self.assertServerStatus('ACTIVE', server_id)

    def test_reader_reads_but_may_not_stop(self):
        server_id, = self.active_servers()
        nova = self.cloud.nova(cloud.RITA)
        self.assertEqual('ACTIVE', nova.servers.get(server_id).status)
        error = self.assertRaises(nova_exceptions.Forbidden,
                                  nova.servers.stop, server_id)
        self.assertIn('os_compute_api:servers:stop', str(error))
        self.assertServerStatus('ACTIVE', server_id)

    def test_invalid_token_is_rejected(self):
        response = requests.get(
            self.cloud.nova_url(cloud.REGION_ONE) + '/servers',
            headers={'X-Auth-Token': 'not-a-token'})
        self.assertEqual(401, response.status_code)

    def test_service_token_needs_the_service_role(self):
        """Nova checks an X-Service-Token sent with a user's token.

        keystonemiddleware in vmact forwards its own token that way, so
        vmact's service user needs the service role.
        """
        url = '%s/servers/%s' % (self.cloud.nova_url(cloud.REGION_ONE),
                                 self.active_servers()[0])
        user_token = self.cloud.token(cloud.ALICE)
        statuses = {}
        for service_user in (cloud.ADMIN, cloud.VMACT):
            statuses[service_user.name] = requests.get(url, headers={
                'X-Auth-Token': user_token,
                'X-Service-Token': self.cloud.token(service_user),
            }, timeout=cloud.HTTP_TIMEOUT).status_code
        self.assertEqual({cloud.ADMIN.name: 401, cloud.VMACT.name: 200},
                         statuses)

    def test_regions_are_separate_novas(self):
        server_id, = self.active_servers(region=cloud.REGION_TWO)
        self.assertEqual('ACTIVE', self.cloud.nova(
            cloud.ALICE, cloud.REGION_TWO).servers.get(server_id).status)
        self.assertRaises(
            nova_exceptions.NotFound,
            self.cloud.nova(cloud.ALICE, cloud.REGION_ONE).servers.get,
            server_id)

    def test_service_user_acts_on_any_tenants_server(self):
        server_id, = self.active_servers(tenant=cloud.TENANT_B)
        nova = self.cloud.nova(cloud.VMACT)
        listed = nova.servers.list(search_opts={
            'all_tenants': True,
            'project_id': self.cloud.project_ids[cloud.TENANT_B]})
        self.assertIn(server_id, [server.id for server in listed])
        self.assertEqual(self.cloud.project_ids[cloud.TENANT_B],
                         nova.servers.get(server_id).tenant_id)
        nova.servers.stop(server_id)
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')

    def test_instance_action_records_nova_request_id(self):
        """What Nova records of a request's ids.

        os-instance-actions shows Nova's *local* request id (the one it
        returns in x-openstack-request-id); the caller's global request
        id appears in Nova's log lines of that request.
        """
        server_id, = self.active_servers()
        global_request_id = 'req-%s' % uuid.uuid4()
        nova = self.cloud.nova(cloud.ALICE,
                               global_request_id=global_request_id)
        result = nova.servers.stop(server_id)
        local_request_id, = result.request_ids
        self.assertNotEqual(global_request_id, local_request_id)
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        actions = self.cloud.nova(cloud.ALICE).instance_action.list(
            server_id)
        stop = [action for action in actions
                if action.request_id == local_request_id]
        self.assertEqual(['stop'], [action.action for action in stop])
        self.assertEqual(self.cloud.user_ids[cloud.ALICE.name],
                         stop[0].user_id)
        log = self.cloud.nova_log(cloud.REGION_ONE)
        self.assertRegex(log, r'\[%s %s ' % (
            re.escape(global_request_id), re.escape(local_request_id)))
