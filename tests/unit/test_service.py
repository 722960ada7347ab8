"""vmact.service.prepare_service: config, logging, masking, policy."""

import logging

import fixtures

from tests.unit import base
from vmact import log as vmact_log
from vmact import policy
from vmact import service


class PrepareServiceTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # oslo.log's setup replaces the root handlers: restored at cleanup.
        self.useFixture(fixtures.FakeLogger())

    def test_parses_the_given_files_and_command_line(self):
        conf = service.prepare_service(
            ['--config-file', base.DEV_CONF], conf=self.conf)
        self.assertIs(self.conf, conf)
        self.assertEqual('noauth', conf.api.auth_strategy)
        self.assertEqual(['scloudm', 'pbs'], conf.api.enabled_agents)

    def test_default_config_files_are_used_without_a_command_line(self):
        conf = service.prepare_service(config_files=[base.DEV_CONF],
                                       conf=self.conf)
        self.assertEqual('noauth', conf.api.auth_strategy)

    def test_every_root_handler_masks_secrets(self):
        service.prepare_service([], config_files=[], conf=self.conf)
        handlers = logging.getLogger().handlers
        self.assertNotEqual([], handlers)
        for handler in handlers:
            self.assertTrue(any(isinstance(f, vmact_log.MaskSecretsFilter)
                                for f in handler.filters), handler)

    def test_the_policy_enforcer_is_built_with_vmacts_rules(self):
        service.prepare_service([], config_files=[], conf=self.conf)
        enforcer = policy.get_enforcer()
        self.assertIs(self.conf, enforcer.conf)
        self.assertIn('vmact:vm_act:stop', enforcer.registered_rules)
