"""Logging: the request id on every line of a request; no secret, ever.

The whole pipeline in the keystone strategy (keystonemiddleware with its
``AuthTokenFixture``), debug logging for every library, and a Nova agent
in service mode whose Keystone and Nova are requests-mock'ed: the lines
captured during one request all carry its request id, and neither the
caller's token, nor the agent's service token, nor its password appears.
"""

import io
import logging
import uuid

from keystoneauth1 import fixture as ks_fixture
from oslo_context import context as oslo_context
from oslo_log import formatters
from requests_mock.contrib import fixture as rm_fixture

from tests.unit import base
from vmact import log as vmact_log

KEYSTONE = 'https://keystone.test/v3'
NOVA = 'https://nova.test:8774/v2.1'
PASSWORD = 'service-password-' + uuid.uuid4().hex
SERVICE_TOKEN = 'service-token-' + uuid.uuid4().hex
CONTEXT_FORMAT = ('%(levelname)s %(name)s [%(request_id)s %(user_identity)s]'
                  ' %(message)s')
DEFAULT_FORMAT = '%(levelname)s %(name)s [-] %(message)s'


class CapturedLogs(object):
    """Every record of every logger, at DEBUG, formatted by oslo.log."""

    def __init__(self, test):
        self.stream = io.StringIO()
        handler = logging.StreamHandler(self.stream)
        test.flags(logging_context_format_string=CONTEXT_FORMAT,
                   logging_default_format_string=DEFAULT_FORMAT,
                   logging_debug_format_suffix='')
        handler.setFormatter(formatters.ContextFormatter(config=test.conf))
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        vmact_log.install_masking(root)
        # No context left in this thread by an earlier test.
        vmact_log.clear_store()
        test.addCleanup(vmact_log.clear_store)
        test.addCleanup(root.setLevel, old_level)
        test.addCleanup(root.removeHandler, handler)
        self.handler = handler

    def lines(self):
        return self.stream.getvalue().splitlines()

    def clear(self):
        self.stream.seek(0)
        self.stream.truncate()


class MaskSecretsFilterTest(base.TestCase):

    def test_masks_passwords_and_tokens_in_any_line(self):
        logs = CapturedLogs(self)
        log = logging.getLogger('some.library')
        log.debug('auth with password=%s', 'hunter2')
        log.debug('sent {"token": "%s"}', 'gAAAAB-abc')
        log.debug('curl -H "X-Auth-Token: %s"', 'gAAAAB-def')
        log.debug('headers {"X-Subject-Token": "%s"}', 'gAAAAB-ghi')
        log.debug('token: %s', 'gAAAAB-jkl')
        text = '\n'.join(logs.lines())
        for secret in ('hunter2', 'gAAAAB-abc', 'gAAAAB-def', 'gAAAAB-ghi',
                       'gAAAAB-jkl'):
            self.assertNotIn(secret, text)
        self.assertEqual(5, text.count('***'), text)

    def test_masks_tokens_in_a_traceback(self):
        logs = CapturedLogs(self)
        log = logging.getLogger('keystonemiddleware.auth_token')
        try:
            raise LookupError('Could not find token: gAAAAB-tb1')
        except LookupError:
            log.debug('Token validation failure.', exc_info=True)
        text = '\n'.join(logs.lines())
        self.assertNotIn('gAAAAB-tb1', text)
        self.assertIn('Traceback (most recent call last)', text)
        self.assertIn('LookupError: Could not find token: ***', text)

    def test_keeps_keystoneauths_hashes(self):
        logs = CapturedLogs(self)
        line = 'curl -H "X-Auth-Token: {SHA256}0265e15d"'
        logging.getLogger('novaclient').debug(line)
        self.assertEqual(['DEBUG novaclient [-] ' + line], logs.lines())

    def test_leaves_other_lines_alone(self):
        logs = CapturedLogs(self)
        logging.getLogger('vmact').info('Authenticating user token %s', 'x')
        self.assertEqual(['INFO vmact [-] Authenticating user token x'],
                         logs.lines())

    def test_installs_once_per_handler(self):
        logs = CapturedLogs(self)
        vmact_log.install_masking()
        self.assertEqual(1, sum(
            isinstance(f, vmact_log.MaskSecretsFilter)
            for f in logs.handler.filters))


class RequestLoggingTest(base.PipelineTestCase):
    """Keystone strategy; agent pbs is Nova in service mode."""

    auth_strategy = 'keystone'

    def setUp(self):
        super().setUp()
        self.addCleanup(self.unregister_group, 'pbs')
        self.http = self.useFixture(rm_fixture.Fixture())
        self.agent('pbs', backend='nova', auth_mode='service',
                   auth_type='v3password', auth_url=KEYSTONE,
                   username='vmact', password=PASSWORD,
                   user_domain_name='Default', project_name='service',
                   project_domain_name='Default')
        token = ks_fixture.V3Token(project_id='service')
        token.add_role(name='admin')
        compute = token.add_service('compute', name='nova')
        compute.add_standard_endpoints(public=NOVA, region='RegionOne')
        self.http.post(KEYSTONE + '/auth/tokens', json=token,
                       status_code=201,
                       headers={'X-Subject-Token': SERVICE_TOKEN})
        for server in ('srv-1', 'srv-2'):
            self.http.get('%s/servers/%s' % (NOVA, server), json={
                'server': {'id': server, 'tenant_id': base.TENANT,
                           'status': 'ACTIVE',
                           'OS-EXT-STS:task_state': None,
                           'OS-EXT-STS:power_state': 1}})
            self.http.post('%s/servers/%s/action' % (NOVA, server),
                           status_code=202)
        self.http.get('%s/servers/ghost' % NOVA, status_code=404, json={
            'itemNotFound': {'code': 404, 'message': 'not found'}})
        self.flags(debug=True)
        self.load()
        self.logs = CapturedLogs(self)
        self.addCleanup(vmact_log.clear_store)

    def unregister_group(self, group):
        """Forget [pbs]'s options: keystoneauth's include a required one."""
        self.conf.reset()
        registered = getattr(self.conf._groups.get(group), '_opts', {})
        self.conf.unregister_opts([o['opt'] for o in registered.values()],
                                  group=group)

    def act_on_nova(self, token):
        return self.request(
            body={'tenant_id': base.TENANT, 'region': 'RegionOne',
                  'servers': 'srv-1,srv-2,ghost', 'reboot': {'type': 'HARD'}},
            token=token, agent='pbs')

    def test_no_token_and_no_password_in_any_line(self):
        token = self.token()
        response = self.act_on_nova(token)
        self.assertEqual(207, response.status_int, response.text)
        actions = [r.path for r in self.http.request_history
                   if r.method == 'POST' and r.path.endswith('/action')]
        self.assertEqual(2, len(actions))
        text = self.logs.stream.getvalue()
        # The lines that could carry them are there...
        self.assertIn('Making authentication request', text)
        self.assertIn('X-Auth-Token: {SHA256}', text)
        self.assertIn('audit:', text)
        # ...without them.
        for secret in (token, SERVICE_TOKEN, PASSWORD):
            self.assertNotIn(secret, text)
        self.assertNotIn(token, response.text)

    def test_every_line_of_a_request_has_its_request_id(self):
        # A first request leaves nothing behind for the next one.
        self.assertEqual(207, self.act_on_nova(self.token()).status_int)
        self.assertIsNone(oslo_context.get_current())
        self.logs.clear()
        response = self.act_on_nova(self.token())
        request_id = response.headers['x-openstack-request-id']
        lines = self.logs.lines()
        names = {line.split()[1] for line in lines}
        # keystonemiddleware (before the caller is known), the app, the
        # Nova driver's worker threads and the HTTP calls they make.
        for name in ('keystonemiddleware.auth_token', 'vmact.api.app',
                     'vmact.backends.nova', 'novaclient.v2.client'):
            self.assertIn(name, names)
        for line in lines:
            self.assertIn('[%s ' % request_id, line)
        self.assertIsNone(oslo_context.get_current())

    def test_error_responses_too(self):
        self.logs.clear()
        response = self.request(body={'tenant_id': base.TENANT},
                                token='not-a-valid-token')
        self.assertEqual(401, response.status_int)
        request_id = response.headers['x-openstack-request-id']
        lines = self.logs.lines()
        self.assertNotEqual([], lines)
        for line in lines:
            self.assertIn('[%s ' % request_id, line)
            self.assertNotIn('not-a-valid-token', line)
