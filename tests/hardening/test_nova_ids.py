"""Server IDs as Nova reads them (issue 10, items 5 and 8).

The fake Nova answers ``GET /servers/detail`` with its server list, as
Nova does, and (``uuid_any_case``) finds a server by its UUID in any
letter case, as Nova on MySQL does. Its log is the witness: no call for
a route word, one action per real server.
"""

import logging
import uuid

import fixtures

from tests.hardening import base
from tests.hardening import figures

NOT_FOUND = 'Instance %s could not be found.'


class LogWatchMixin(object):
    """Capture vmact's log lines at WARNING and above."""

    def watch_log(self):
        return self.useFixture(fixtures.FakeLogger(
            level=logging.WARNING, format='%(levelname)s %(message)s'))

    def assertNoErrorLogged(self, logger):
        self.assertNotIn('Traceback', logger.output)
        self.assertEqual([], [line for line in logger.output.splitlines()
                              if line.startswith(('ERROR', 'CRITICAL'))])


class RouteWordTest(LogWatchMixin, base.PipelineTestCase):
    """``detail`` is Nova's server list, never a server vmact sends."""

    def status_read(self, servers, agent=None, token=True):
        return self.request('/mana_api/vm_act/%s/RegionOne?servers=%s'
                            % (base.TENANT, ','.join(servers)),
                            method='GET', agent=agent, token=token)

    def test_detail_is_a_404_in_every_mode_and_never_sent(self):
        logger = self.watch_log()
        admin = self.cloud.token(roles=('admin', 'member'))
        tried = 0
        for agent in (base.SERVICE_AGENT, base.TOKEN_AGENT):
            for token in (self.member_token, admin):
                for word in ('detail', 'DETAIL'):
                    for send in (
                            lambda: self.act([word], agent=agent,
                                             token=token),
                            lambda: self.act([word], 'reboot',
                                             {'type': 'HARD'}, agent=agent,
                                             token=token),
                            lambda: self.status_read([word], agent, token)):
                        self.nova.reset()
                        tried += 1
                        body = self.assertErrorFormat(send(), 404)
                        self.assertEqual(
                            [{'server': word, 'code': 404,
                              'msg': NOT_FOUND % word}], body['failures'])
                        self.assertNoNovaCall()
        figures.record('nova_route_words', test=self.id(), requests=tried)
        self.assertNoErrorLogged(logger)

    def test_detail_in_a_batch_leaves_the_others_served(self):
        logger = self.watch_log()
        for agent in base.NOVA_AGENTS:
            self.nova.reset()
            body = self.assertErrorFormat(
                self.act(['vm-1', 'detail', 'vm-2'], agent=agent), 207)
            self.assertEqual(['vm-1', 'vm-2'], body['succeeded'])
            self.assertEqual(['detail'],
                             [f['server'] for f in body['failures']])
            self.assertEqual({'vm-1': 1, 'vm-2': 1},
                             dict(self.nova.action_counts()))
            self.assertEqual([], self.nova.calls(server='detail'))
        self.assertNoErrorLogged(logger)


class UuidLetterCaseTest(LogWatchMixin, base.PipelineTestCase):
    """One action per real server, whatever the UUID's letter case."""

    nova_options = {'uuid_any_case': True}

    def setUp(self):
        super().setUp()
        # A letter at the start of each half, so that the three spellings
        # below are always three different strings.
        self.servers = ['a' + u[1:9] + 'b' + u[10:]
                        for u in (str(uuid.uuid4()) for _ in range(3))]
        self.nova.add_servers(self.servers, base.TENANT)

    def spellings(self):
        """Each UUID in lower, upper and mixed case, interleaved."""
        spelt = []
        for server in self.servers:
            spelt += [server, server.upper(), server[:9] + server[9:].upper()]
        return spelt

    def test_each_server_acts_once_in_both_modes(self):
        logger = self.watch_log()
        calls_per_server = {}
        for agent in base.NOVA_AGENTS:
            self.nova.reset()
            response = self.act(self.spellings(), 'reboot',
                                {'type': 'HARD'}, agent=agent)
            self.assertEqual(200, response.status_int, response.text)
            self.assertEqual({s: 1 for s in self.servers},
                             dict(self.nova.action_counts()))
            calls_per_server[agent] = (len(self.nova.calls())
                                       / len(self.servers))
        self.assertEqual({base.TOKEN_AGENT: 1, base.SERVICE_AGENT: 2},
                         calls_per_server)
        figures.record('nova_uuid_spellings', test=self.id(),
                       ids_per_server=3,
                       nova_calls_per_server=calls_per_server)
        self.assertNoErrorLogged(logger)

    def test_status_read_shows_every_spelling_with_one_read_each(self):
        spelt = self.spellings()
        response = self.request('/mana_api/vm_act/%s/RegionOne?servers=%s'
                                % (base.TENANT, ','.join(spelt)),
                                method='GET')
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(spelt, [s['id'] for s in response.json['servers']])
        self.assertEqual(len(self.servers), len(self.nova.calls('GET')))
