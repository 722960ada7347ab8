"""The driver contract: a driver writes show and act, the base waits."""

import dataclasses
import datetime

from oslo_config import cfg
from oslotest import base as oslotest_base

from vmact.backends import base
from vmact.conf import agent as agent_conf

AGENT = 'two-methods'
STOP = base.Action(base.STOP)
ACTIVE = base.ServerState('ACTIVE', None, 'running')
STOPPING = base.ServerState('ACTIVE', 'powering-off', 'running')
SHUTOFF = base.ServerState('SHUTOFF', None, 'shutdown')


class TwoMethodDriver(base.Backend):
    """All a driver author writes: a server stops on its second read."""

    def __init__(self, conf, agent, servers):
        super().__init__(conf, agent)
        self.states = dict.fromkeys(servers, ACTIVE)
        self.reads_left = {}
        self.reads = []

    def show(self, context, target):
        self.reads.append(target.servers)
        outcomes = []
        for server in target.servers:
            if server not in self.states:
                outcomes.append(base.Outcome(server, 404, 'no such server'))
                continue
            if server in self.reads_left:
                self.reads_left[server] -= 1
                if not self.reads_left[server]:
                    del self.reads_left[server]
                    self.states[server] = SHUTOFF
            outcomes.append(base.Outcome(server, 200,
                                         state=self.states[server]))
        return outcomes

    def act(self, context, target, action):
        outcomes = []
        for shown in self.show(context, target):
            spared = base.instead_of_sending(action, shown)
            if spared is not None:
                outcomes.append(spared)
                continue
            self.states[shown.server] = STOPPING
            self.reads_left[shown.server] = 2
            outcomes.append(base.Outcome(shown.server, 202))
        return outcomes


class ContractTest(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        agent_conf.register_agent_opts(self.conf, AGENT)
        self.conf([], default_config_files=[])
        self.conf.set_override('poll_interval', 0.01, group=AGENT)
        self.conf.set_override('poll_max_interval', 0.02, group=AGENT)
        self.driver = TwoMethodDriver(self.conf, AGENT, ['a', 'b', 'off'])
        self.driver.states['off'] = SHUTOFF

    def target(self, *servers):
        return base.Target('tenant', 'Region', servers)

    def test_show_and_act_are_all_a_driver_writes(self):
        self.assertEqual({'show', 'act'}, base.Backend.__abstractmethods__)

    def test_wait_follows_what_act_accepted(self):
        action = base.Action(base.STOP, wait=5)
        target = self.target('a', 'gone', 'b')
        outcomes = self.driver.act(None, target, action)
        del self.driver.reads[:]

        waited = self.driver.wait(None, target, action, outcomes)

        self.assertEqual([('a', 200, 'reached SHUTOFF'),
                          ('gone', 404, 'no such server'),
                          ('b', 200, 'reached SHUTOFF')],
                         [(o.server, o.code, o.msg) for o in waited])
        self.assertEqual([('a', 'b'), ('a', 'b')], self.driver.reads)

    def test_other_ids_of_a_followed_server_get_its_outcome(self):
        action = base.Action(base.STOP, wait=5)
        [accepted] = self.driver.act(None, self.target('a'), action)
        other = accepted.for_other_id('A')
        self.assertEqual((200, 'Same server as a', 'a'),
                         (other.code, other.msg, other.same_as))

        waited = self.driver.wait(None, self.target('a', 'A'), action,
                                  [accepted, other])

        self.assertEqual([('a', 200, 'reached SHUTOFF'),
                          ('A', 200, 'Same server as a: reached SHUTOFF')],
                         [(o.server, o.code, o.msg) for o in waited])
        self.assertNotIn('A', [s for read in self.driver.reads
                               for s in read])

    def test_without_wait_nothing_is_read_again(self):
        outcomes = self.driver.act(None, self.target('a'), STOP)
        del self.driver.reads[:]
        self.assertEqual(outcomes, self.driver.wait(
            None, self.target('a'), STOP, outcomes))
        self.assertEqual([], self.driver.reads)

    def test_instead_of_sending(self):
        needed = base.Action(base.STOP, only_if_needed=True)
        failed = base.Outcome('x', 404, 'no such server')
        off = base.Outcome('off', 200, state=SHUTOFF)
        stopping = base.Outcome('s', 200, state=base.ServerState(
            'SHUTOFF', 'powering-on'))
        self.assertIs(failed, base.instead_of_sending(STOP, failed))
        self.assertIs(failed, base.instead_of_sending(needed, failed))
        self.assertIsNone(base.instead_of_sending(STOP, off))
        self.assertIsNone(base.instead_of_sending(needed, stopping))
        spared = base.instead_of_sending(needed, off)
        self.assertEqual(('off', 200, 'already SHUTOFF', SHUTOFF),
                         (spared.server, spared.code, spared.msg,
                          spared.state))

    def test_only_if_needed_through_the_driver(self):
        outcomes = self.driver.act(None, self.target('a', 'off'), base.Action(
            base.STOP, only_if_needed=True))
        self.assertEqual([('a', 202), ('off', 200)],
                         [(o.server, o.code) for o in outcomes])

    def test_server_state_shows_every_field(self):
        self.assertEqual({'status': 'ACTIVE', 'task_state': 'powering-off',
                          'power_state': 'running'}, STOPPING.as_dict())
        self.assertEqual([field.name for field in
                          dataclasses.fields(base.ServerState)],
                         list(STOPPING.as_dict()))

    def test_received_and_acts_as_caller_default_to_not_known(self):
        since = datetime.datetime(2026, 12, 1, 19, 0)
        self.assertEqual({'a': None, 'b': None}, self.driver.received(
            None, self.target('a', 'b'), STOP, since))
        self.assertFalse(self.driver.acts_as_caller)

    def test_outcomes_carry_no_request_id_or_retry_after_by_default(self):
        outcome = base.Outcome('a', 202)
        self.assertIsNone(outcome.backend_request_id)
        self.assertIsNone(outcome.retry_after)
        sent = base.Outcome('a', 202, backend_request_id='req-1')
        self.assertIsNone(sent.for_other_id('A').backend_request_id)

    def test_settled_outcome_applies_the_wait_rules(self):
        action = base.Action(base.STOP, wait=5)
        cases = [(base.Outcome('a', 200, state=SHUTOFF), 200),
                 (base.Outcome('a', 200, state=STOPPING), None),
                 (base.Outcome('a', 200, state=base.ServerState('ERROR')),
                  502),
                 (base.Outcome('a', 404, 'gone'), 404),
                 (base.Outcome('a', 429, 'slow down'), None),
                 (base.Outcome('a', 503, 'down'), None)]
        for shown, code in cases:
            settled = base.settled_outcome(action, shown)
            self.assertEqual(code, settled and settled.code, shown)
        late = base.timed_out(action, 'a', STOPPING)
        self.assertEqual(504, late.code)
        self.assertIn('did not get there in 5s (last status ACTIVE, '
                      'task_state powering-off)', late.msg)
