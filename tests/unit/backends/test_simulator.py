"""The simulator follows Nova's state rules (nova/compute/api.py)."""

import datetime
import time

from oslo_config import cfg
from oslo_utils import timeutils

from tests.unit import base as test_base
from vmact.backends import base
from vmact.backends import simulator
from vmact.conf import agent as agent_conf
from vmact import exception

STOP = base.Action(base.STOP)
START = base.Action(base.START)
SOFT = base.Action(base.REBOOT, base.SOFT)
HARD = base.Action(base.REBOOT, base.HARD)


def make_backend(delay=0.0, **values):
    conf = cfg.ConfigOpts()
    agent_conf.register_agent_opts(conf, 'sim',
                                   simulator.SimulatorBackend.list_opts())
    conf([], default_config_files=[])
    conf.set_override('backend', 'simulator', group='sim')
    conf.set_override('transition_delay', delay, group='sim')
    conf.set_override('poll_interval', 0.01, group='sim')
    conf.set_override('poll_max_interval', 0.02, group='sim')
    for name, value in values.items():
        conf.set_override(name, value, group='sim')
    return simulator.SimulatorBackend(conf, 'sim')


class StateRulesTest(test_base.TestCase):
    """Which actions each status allows, worded as Nova words refusals."""

    SERVERS = ['t:R:%s:%s' % (status.lower(), status)
               for status in simulator.VM_STATE_BY_STATUS]

    def setUp(self):
        super().setUp()
        self.backend = make_backend(servers=self.SERVERS, regions=['R'])

    def send(self, action, server):
        [outcome] = self.backend.send(None, base.Target('t', 'R', (server,)),
                                      action)
        return outcome

    def assertAllowed(self, action, *servers):
        for server in servers:
            self.assertEqual(202, self.send(action, server).code, server)

    def assertRefused(self, action, verb, *servers):
        for server in servers:
            outcome = self.send(action, server)
            self.assertEqual(409, outcome.code, server)
            self.assertEqual("Cannot '%s' instance %s while it is in "
                             "vm_state %s" % (verb, server,
                                              simulator.VM_STATE_BY_STATUS[
                                                  server.upper()]),
                             outcome.msg)

    def test_start_only_from_shutoff(self):
        self.assertRefused(START, 'start', 'active', 'paused', 'suspended',
                           'error')
        self.assertAllowed(START, 'shutoff')

    def test_stop_from_active_or_error(self):
        self.assertRefused(STOP, 'stop', 'shutoff', 'paused', 'suspended')
        self.assertAllowed(STOP, 'active', 'error')

    def test_soft_reboot_only_from_active(self):
        self.assertRefused(SOFT, 'reboot', 'shutoff', 'paused', 'suspended',
                           'error')
        self.assertAllowed(SOFT, 'active')

    def test_hard_reboot_from_every_stable_state(self):
        self.assertAllowed(HARD, 'active', 'shutoff', 'paused', 'suspended',
                           'error')

    def test_unknown_and_foreign_servers_are_404(self):
        [missing] = self.backend.send(None, base.Target('t', 'R', ('x',)),
                                      STOP)
        [foreign] = self.backend.send(
            None, base.Target('other', 'R', ('active',)), STOP)
        self.assertEqual((404, 'Instance x could not be found.'),
                         (missing.code, missing.msg))
        self.assertEqual(404, foreign.code)
        self.assertEqual('ACTIVE', self.backend.show(
            None, base.Target('t', 'R', ('active',)))[0].state.status)

    def test_unknown_region(self):
        error = self.assertRaises(
            exception.UnknownRegion, self.backend.show, None,
            base.Target('t', 'Nowhere', ('active',)))
        self.assertEqual(400, error.code)
        self.assertIn('"Nowhere"', error.msg)
        self.assertIn('known regions: R', error.msg)


class TransitionsTest(test_base.TestCase):
    """Accepted actions show Nova's task states, then settle."""

    def setUp(self):
        super().setUp()
        self.backend = make_backend(delay=0.2, regions=['R'],
                                    servers=['t:R:a', 't:R:b:SHUTOFF'])

    def state(self, server):
        return self.backend.show(None, base.Target('t', 'R', (server,)))[0] \
            .state

    def test_stop_shows_powering_off_then_shutoff(self):
        self.backend.send(None, base.Target('t', 'R', ('a',)), STOP)
        self.assertEqual(base.ServerState('ACTIVE', 'powering-off',
                                          'running'), self.state('a'))
        time.sleep(0.25)
        self.assertEqual(base.ServerState('SHUTOFF', None, 'shutdown'),
                         self.state('a'))

    def test_reboot_statuses(self):
        self.backend.send(None, base.Target('t', 'R', ('a',)), SOFT)
        self.assertEqual(('REBOOT', 'rebooting'),
                         (self.state('a').status, self.state('a').task_state))
        self.backend.send(None, base.Target('t', 'R', ('b',)), HARD)
        self.assertEqual(('HARD_REBOOT', 'rebooting_hard'),
                         (self.state('b').status, self.state('b').task_state))

    def test_task_in_progress_blocks_other_actions(self):
        target = base.Target('t', 'R', ('a',))
        self.backend.send(None, target, SOFT)
        [stop] = self.backend.send(None, target, STOP)
        self.assertEqual(409, stop.code)
        self.assertIn('task_state rebooting', stop.msg)
        [hard] = self.backend.send(None, target, HARD)
        self.assertEqual(202, hard.code)

    def test_each_server_acted_on_once_in_a_batch(self):
        target = base.Target('t', 'R', ('a', 'b'))
        outcomes = self.backend.send(None, target, STOP)
        self.assertEqual([('a', 202), ('b', 409)],
                         [(o.server, o.code) for o in outcomes])


def act_and_wait(backend, target, action):
    return backend.wait(None, target, action,
                        backend.act(None, target, action))


class ActExtensionsTest(test_base.TestCase):
    """only_if_needed (the simulator's act) and wait (the base's)."""

    def setUp(self):
        super().setUp()
        self.backend = make_backend(delay=0.1, regions=['R'],
                                    servers=['t:R:on', 't:R:off:SHUTOFF',
                                             't:R:err:ERROR'])

    def test_only_if_needed_skips_servers_already_there(self):
        target = base.Target('t', 'R', ('on', 'off', 'ghost'))
        outcomes = self.backend.act(None, target, base.Action(
            base.STOP, only_if_needed=True))
        self.assertEqual([('on', 202), ('off', 200), ('ghost', 404)],
                         [(o.server, o.code) for o in outcomes])
        self.assertEqual('powering-off', self.backend.show(
            None, base.Target('t', 'R', ('on',)))[0].state.task_state)

    def test_wait_returns_when_the_target_state_is_reached(self):
        target = base.Target('t', 'R', ('on',))
        started = time.monotonic()
        [outcome] = act_and_wait(self.backend, target, base.Action(
            base.STOP, wait=5))
        self.assertEqual(200, outcome.code)
        self.assertEqual('SHUTOFF', outcome.state.status)
        self.assertLess(time.monotonic() - started, 2)

    def test_wait_timeout_names_last_status_and_task(self):
        backend = make_backend(delay=5, regions=['R'], servers=['t:R:on'])
        [outcome] = act_and_wait(backend, base.Target('t', 'R', ('on',)),
                                 base.Action(base.STOP, wait=0.05))
        self.assertEqual(504, outcome.code)
        self.assertIn('last status ACTIVE, task_state powering-off',
                      outcome.msg)

    def test_wait_does_not_follow_refused_servers(self):
        target = base.Target('t', 'R', ('off',))
        [outcome] = act_and_wait(self.backend, target, base.Action(
            base.STOP, wait=5))
        self.assertEqual(409, outcome.code)


class SeedConfigTest(test_base.TestCase):

    def test_generated_servers(self):
        backend = make_backend(regions=['R1', 'R2'], tenants=['t'],
                               servers_per_tenant=2)
        shown = backend.show(None, base.Target('t', 'R2', (
            't-R2-1', 't-R2-2', 't-R2-3')))
        self.assertEqual([200, 200, 404], [o.code for o in shown])

    def test_bad_seed_entries_stop_the_start(self):
        for servers, fragment in ((['t:R'], 'is not tenant_id:region'),
                                  (['t:Nowhere:a'], "region 'Nowhere'"),
                                  (['t:R:a:BROKEN'], "status 'BROKEN'")):
            error = self.assertRaises(exception.ConfigError, make_backend,
                                      regions=['R'], servers=servers)
            self.assertIn('[sim] servers', str(error))
            self.assertIn(fragment, str(error))


class ReceivedTest(test_base.TestCase):
    """The simulator answers the reconcile from its record of actions."""

    def setUp(self):
        super().setUp()
        self.backend = make_backend(regions=['R'], servers=[
            't:R:on', 't:R:off:SHUTOFF', 't:R:idle'])
        self.target = base.Target('t', 'R', ('on', 'off', 'idle', 'gone'))

    def test_accepted_actions_since_are_received(self):
        since = timeutils.utcnow()
        self.backend.act(None, self.target, STOP)
        self.assertEqual(
            {'on': True, 'off': False, 'idle': True, 'gone': False},
            self.backend.received(None, self.target, STOP, since))

    def test_only_the_same_kind_of_action_counts(self):
        since = timeutils.utcnow()
        self.backend.act(None, base.Target('t', 'R', ('on',)), STOP)
        self.assertEqual({'on': False}, self.backend.received(
            None, base.Target('t', 'R', ('on',)), SOFT, since))

    def test_actions_before_since_are_not_received(self):
        self.backend.act(None, base.Target('t', 'R', ('on',)), STOP)
        later = timeutils.utcnow() + datetime.timedelta(seconds=1)
        self.assertEqual({'on': False}, self.backend.received(
            None, base.Target('t', 'R', ('on',)), STOP, later))

    def test_before_the_backend_was_built_is_not_known(self):
        before = timeutils.utcnow() - datetime.timedelta(minutes=1)
        self.assertEqual(dict.fromkeys(self.target.servers),
                         self.backend.received(None, self.target, STOP,
                                               before))

    def test_unknown_region_is_refused(self):
        self.assertRaises(exception.UnknownRegion, self.backend.received,
                          None, base.Target('t', 'Elsewhere', ('on',)), STOP,
                          timeutils.utcnow())
