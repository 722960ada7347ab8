"""Fleet control against real Nova: ``select`` by tag, ``expect_count``,
``dry_run`` compared with a real run, ``return=representation``.

Tags are set through Nova's API (``PUT /servers/{id}/tags/{tag}``,
microversion 2.26) by each server's owner; every test uses a tag of its
own, so the shared servers' other tags never match. This module's
vmact-api lists two servers per page (``select_page_size = 2``), so a
selection of three servers takes two pages.
"""

import re
import uuid

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service
from tests.support import processes

PAGE_SIZE = 2
TAG_MICROVERSION = '2.26'


def _paged_vmact():
    return vmact_service.Vmact(cloud.get_cloud(), [
        (agent, 'select_page_size', str(PAGE_SIZE))
        for agent in (vmact_service.TOKEN_AGENT,
                      vmact_service.SERVICE_AGENT)])


_PAGED_VMACT = processes.StartedOnce(
    'vmact-api with small pages', _paged_vmact, vmact_service.VmactError,
    vmact_service._keep_work_dir)


class FleetTestCase(base.VmactTestCase):

    #: The cloud's start and this module's vmact-api, on a shared machine.
    TIMEOUT = 300

    def setUp(self):
        # VmactTestCase's helpers, with this module's vmact-api instead.
        base.FunctionalTestCase.setUp(self)
        self.vmact = _PAGED_VMACT.get()
        self.tag = 'fleet-%s' % uuid.uuid4().hex[:12]

    def tag_servers(self, servers, owner=cloud.ALICE,
                    region=cloud.REGION_ONE):
        nova = self.cloud.nova(owner, region, microversion=TAG_MICROVERSION)
        for server in servers:
            nova.servers.add_tag(server, self.tag)

    def select_body(self, action, **extra):
        body = {'tenant_id': self.tenant_id(), 'region': cloud.REGION_ONE,
                'select': {'tags': [self.tag]}, action: None}
        body.update(extra)
        return body

    def actions_of(self, servers):
        return {s: self.action_request_ids(s) for s in servers}

    def nova_calls(self, response):
        """Nova's own request ids of the calls vmact made for ``response``.

        Nova logs each call with vmact's request id (the global one)
        before its own.
        """
        vmact_request_id = response.headers['x-openstack-request-id']
        return set(re.findall(r'\[%s (req-[0-9a-f-]+) '
                              % re.escape(vmact_request_id),
                              self.cloud.nova_log(cloud.REGION_ONE)))


class SelectTest(FleetTestCase):

    def test_selection_by_tag_is_exactly_the_tagged_across_pages(self):
        mine = self.active_servers(count=4)[:3]
        foreign = self.active_servers(cloud.TENANT_B, count=1)
        self.tag_servers(mine)
        self.tag_servers(foreign, owner=cloud.BOB)
        before = self.actions_of(mine + foreign)
        for agent in (vmact_service.TOKEN_AGENT, vmact_service.SERVICE_AGENT):
            response = self.act(self.select_body('os-start', dry_run=True),
                                agent=agent)
            self.assertEqual(200, response.status_code, response.text)
            self.assertEqual(sorted(mine), sorted(
                s['id'] for s in response.json()['servers']), agent)
            # Two pages of the list (2 + 1 servers), one read per server.
            self.assertEqual(2 + len(mine), len(self.nova_calls(response)),
                             agent)
        self.assertEqual(before, self.actions_of(mine + foreign))

    def test_expect_count_mismatch_is_409_with_nothing_sent(self):
        mine = self.active_servers(count=2)
        self.tag_servers(mine)
        before = self.actions_of(mine)
        response = self.act(self.select_body('os-stop', expect_count=3))
        self.assertError(409, response, 'matched 2 servers')
        self.assertEqual(before, self.actions_of(mine))

    def test_sync_selection_acts_and_names_the_servers(self):
        mine = self.active_servers(count=2)
        self.tag_servers(mine)
        response = self.act(self.select_body('reboot', expect_count=2,
                                             wait=30))
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(sorted(mine), sorted(response.json()['servers']))
        for server in mine:
            self.assertEqual('reboot',
                             self.instance_actions(server)[-1]['action'])


class DryRunTest(FleetTestCase):

    def test_plan_sends_nothing_and_matches_the_real_run(self):
        on, off, locked = self.active_servers(count=3)
        self.cloud.ensure_status(cloud.REGION_ONE, [off], 'SHUTOFF')
        owner = self.cloud.nova(cloud.ALICE)
        owner.servers.lock(locked)
        self.addCleanup(owner.servers.unlock, locked)
        self.tag_servers([on, off, locked])
        before = self.actions_of([on, off, locked])
        for action in ('os-stop', 'os-start'):
            body = self.select_body(action, expect_count=3)
            planned = self.act(dict(body, dry_run=True))
            self.assertEqual(200, planned.status_code, planned.text)
            plans = {p['id']: p for p in planned.json()['servers']}
            self.assertEqual(before, self.actions_of([on, off, locked]))
            self.assertEqual('Instance %s is locked' % locked,
                             plans[locked]['msg'])
            real = self.act(body)
            self.assertEqual(207, real.status_code, real.text)
            failed = {f['server']: (f['code'], f['msg'])
                      for f in real.json()['failures']}
            self.assertEqual(
                {s: (p['code'], p['msg']) for s, p in plans.items()
                 if p['plan'] == 'fail'}, failed, action)
            self.assertEqual(sorted(s for s, p in plans.items()
                                    if p['plan'] == 'act'),
                             sorted(real.json()['succeeded']), action)
            for server in (on, off):
                self.cloud.wait_for_status_settled(cloud.REGION_ONE, server)
            before = self.actions_of([on, off, locked])


class RepresentationTest(FleetTestCase):

    def test_previous_and_current_state_after_wait(self):
        server, = self.active_servers(count=1)
        response = self.act(
            self.body('os-stop', [server], wait=30),
            headers={'Prefer': 'return=representation'})
        self.assertEqual(200, response.status_code, response.text)
        change, = response.json()['servers']
        self.assertEqual(('accepted', 'ACTIVE', 'SHUTOFF'),
                         (change['outcome'], change['previous']['status'],
                          change['current']['status']))
