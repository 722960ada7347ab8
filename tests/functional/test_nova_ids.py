"""Server IDs as the real Nova reads them (issue 10, items 5 and 8).

``detail`` passes vmact's ID syntax, but ``GET /servers/detail`` is
Nova's server list: vmact must answer 404 as for any unknown server,
never send it, and never fail with a 500. The spellings of one UUID in
other letter cases name the same server: one action reaches Nova.
"""

from tests.functional import base
from tests.functional.fixtures import cloud
from tests.functional.fixtures import vmact_service

STOP = 'os-stop'
REBOOT = 'reboot'
WORD = 'detail'


class RouteWordTest(base.VmactTestCase):
    """``detail`` is a 404 and never reaches Nova, in every mode."""

    def assertDetailNotFound(self, response):
        body = self.assertError(404, response)
        self.assertEqual([{'server': WORD, 'code': 404,
                           'msg': 'Instance %s could not be found.' % WORD}],
                         body['failures'])
        request_id = response.headers['x-openstack-request-id']
        own_lines = [line for line in self.vmact.log().splitlines()
                     if request_id in line]
        self.assertEqual([], [line for line in own_lines
                              if ' ERROR ' in line or 'Traceback' in line])
        self.assertEqual([], [line for line in self.cloud.nova_log(
            cloud.REGION_ONE).splitlines() if request_id in line])

    def test_token_mode_action(self):
        self.assertDetailNotFound(self.act(self.body(STOP, [WORD])))

    def test_service_mode_action(self):
        self.assertDetailNotFound(self.act(
            self.body(STOP, [WORD]), agent=vmact_service.SERVICE_AGENT))

    def test_admin_token_action(self):
        """An admin token is ownership-checked: a read comes first."""
        self.assertDetailNotFound(self.act(
            self.body(REBOOT, [WORD], action_value={'type': 'HARD'}),
            user=cloud.ADMIN))

    def test_status_reads(self):
        self.assertDetailNotFound(self.show_states([WORD]))
        self.assertDetailNotFound(self.show_states(
            [WORD], agent=vmact_service.SERVICE_AGENT))

    def test_in_a_batch_the_real_server_acts(self):
        server_id, = self.active_servers()
        before = len(self.action_request_ids(server_id))
        body = self.assertError(207, self.act(self.body(
            STOP, [WORD, server_id]), agent=vmact_service.SERVICE_AGENT))
        self.assertEqual([server_id], body['succeeded'])
        self.assertEqual([(WORD, 404)],
                         [(f['server'], f['code']) for f in body['failures']])
        self.cloud.wait_for_status(cloud.REGION_ONE, server_id, 'SHUTOFF')
        self.assertEqual(before + 1, len(self.action_request_ids(server_id)))


class UuidLetterCaseTest(base.VmactTestCase):
    """A UUID in lower and upper case in one request: one action.

    This Nova runs on sqlite, which compares UUIDs case-sensitively and
    so answers 404 for the upper-case form; Nova on MySQL finds the
    server by either. vmact sends the first spelling only and reports
    the second with its outcome, whatever Nova's database.
    """

    def test_one_action_and_the_same_outcome_in_both_modes(self):
        servers = self.active_servers(count=2)
        for agent, server_id in zip(
                (vmact_service.TOKEN_AGENT, vmact_service.SERVICE_AGENT),
                servers):
            before = len(self.action_request_ids(server_id))
            self.assertAccepted(self.act(self.body(
                STOP, [server_id, server_id.upper()]), agent=agent))
            self.cloud.wait_for_status(cloud.REGION_ONE, server_id,
                                       'SHUTOFF')
            actions = self.instance_actions(server_id)
            self.assertEqual(['stop'],
                             [a['action'] for a in actions[before:]])

    def test_status_read_shows_both_spellings(self):
        server_id, = self.active_servers()
        for agent in (vmact_service.TOKEN_AGENT,
                      vmact_service.SERVICE_AGENT):
            response = self.show_states([server_id.upper(), server_id],
                                        agent=agent)
            self.assertEqual(200, response.status_code, response.text)
            self.assertEqual([(server_id.upper(), 'ACTIVE'),
                              (server_id, 'ACTIVE')],
                             [(s['id'], s['status'])
                              for s in response.json()['servers']])
