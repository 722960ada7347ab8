"""The vm_act contract (shared/api-contract.md), through the whole pipeline.

Every request goes through the real ``etc/vmact/api-paste.ini``: request
id, fault, sizelimit, token alias, authentication (noauth or
keystonemiddleware with its AuthTokenFixture), Sp-Agent routing, the app
and the simulator backends. :class:`ContractTests` runs in both auth
strategies; the classes after it hold what only one strategy or a slow
simulator can show. :class:`HttpInputTest` covers what the HTTP layer
hands the app: query strings, raw '#' and encoded '/' in the request
target (REQUEST_URI of waitress and mod_wsgi, RAW_URI of gunicorn), and
bodies that cannot be read whole (a ``wsgi.input`` raising OSError as
mod_wsgi's does). Rendering of the outcomes: test_results.py; request id
and health check: test_pipeline.py.

Servers seeded by the base: ``demo-RegionOne-1..3``, ``demo-RegionTwo-1..3``
and ``alt-RegionOne-1..3`` (ACTIVE), ``off1``/``off2`` (SHUTOFF) and
``err1`` (ERROR) of ``demo`` in RegionOne on agent ``scloudm`` (the
default); ``demo-cn-north-1-1..2`` on agent ``pbs``.
"""

import io
import json
import logging
import time
import uuid

import fixtures
import webob

from tests.unit import base
from vmact.backends import simulator

PATH = base.PATH
DEMO1 = base.DEMO1
DEMO2 = base.DEMO2
DEMO3 = base.DEMO3
ALT1 = base.ALT1
REQUEST_ID = base.REQUEST_ID
UNAUTHORIZED_MSG = base.UNAUTHORIZED_MSG


class ContractTests(base.PipelineHelpers):
    """The contract's rows and rules; mixed into one class per strategy."""

    # Endpoints and paths -------------------------------------------------

    def test_body_form_acts(self):
        self.assertOK(self.act('os-stop', DEMO1))
        self.assertEqual({DEMO1: 'SHUTOFF', DEMO2: 'ACTIVE'},
                         self.states([DEMO1, DEMO2]))

    def test_tenant_region_path_form_acts(self):
        response = self.request(PATH + '/demo/RegionOne',
                                body={'servers': DEMO1, 'os-stop': None})
        self.assertOK(response)
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_server_path_form_without_servers_acts_on_path_server(self):
        response = self.request(PATH + '/demo/RegionOne/off1',
                                body={'os-start': None})
        self.assertOK(response)
        self.assertEqual({'off1': 'ACTIVE', 'off2': 'SHUTOFF'},
                         self.states(['off1', 'off2']))

    def test_server_path_form_with_servers_acts_on_all_servers(self):
        # The seed's own sample: the path's id among "servers".
        response = self.request(PATH + '/demo/RegionOne/off2',
                                body={'servers': 'off1,off2',
                                      'os-start': None})
        self.assertOK(response)
        self.assertEqual({'off1': 'ACTIVE', 'off2': 'ACTIVE'},
                         self.states(['off1', 'off2']))

    def test_percent_encoded_bad_ids_in_path_are_400_named_safely(self):
        for encoded in ('..', 'a%2Eb', 'a%3Fb', 'a%23b', 'a%25b', 'a%20b',
                        'a%0D%0Ab', 'a%00b', 'caf%C3%A9'):
            response = self.request(PATH + '/demo/RegionOne/' + encoded,
                                    body={'os-stop': None})
            body = self.assertError(response, 400, '"server_id"',
                                    'not a server ID')
            self.assertSafeMessage(body['msg'])
        self.assertEqual([], self.calls)

    def test_encoded_slash_in_path_is_a_400_naming_the_path(self):
        # WSGI decodes %2F before routing, so it would add a segment
        # (Apache refuses it before vmact: tests/deployment).
        for path in ('/demo/RegionOne/%s%%2Fx' % DEMO1,
                     '/demo/RegionOne%%2F%s' % DEMO1):
            response = self.request(PATH + path, body={'os-stop': None})
            self.assertRefused(response, 400, 'encoded "/"',
                               '"%s%s"' % (PATH, path))

    def test_path_not_utf8_is_400_in_error_format(self):
        response = self.request(PATH + '/demo/RegionOne/a%FFb',
                                body={'os-stop': None})
        body = self.assertRefused(response, 400)
        self.assertSafeMessage(body['msg'])

    def test_trailing_slash_on_body_form(self):
        response = self.request(PATH + '/', body={
            'tenant_id': 'demo', 'region': 'RegionOne', 'servers': DEMO1,
            'os-stop': None})
        self.assertOK(response)
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_trailing_slash_on_path_forms(self):
        self.assertOK(self.request(PATH + '/demo/RegionOne/',
                                   body={'servers': DEMO1, 'os-stop': None}))
        self.assertOK(self.request(PATH + '/demo/RegionOne/%s/' % DEMO2,
                                   body={'os-stop': None}))
        self.assertEqual({DEMO1: 'SHUTOFF', DEMO2: 'SHUTOFF'},
                         self.states([DEMO1, DEMO2]))

    def test_unknown_paths_are_404_in_error_format(self):
        for path in ('/', '/mana_api', '/mana_api/vm_acts',
                     PATH + '/demo', PATH + '/demo/RegionOne/%s/x' % DEMO1,
                     '/v2.1/servers'):
            response = self.request(path, body={'os-stop': None})
            self.assertRefused(response, 404)

    def test_unknown_path_message_is_escaped(self):
        response = self.request('/x%0D%0Ay%E2%80%A8', method='GET')
        body = self.assertRefused(response, 404)
        self.assertSafeMessage(body['msg'])

    def test_wrong_method_on_body_form_is_405_with_allow(self):
        for method in ('GET', 'PUT', 'DELETE', 'PATCH'):
            response = self.request(PATH, method=method)
            body = self.assertRefused(response, 405, method)
            self.assertEqual('POST', response.headers['Allow'])
            self.assertIn('POST', body['msg'])

    def test_wrong_method_on_tenant_region_form_is_405_with_allow(self):
        response = self.request(PATH + '/demo/RegionOne', method='DELETE')
        self.assertRefused(response, 405)
        self.assertEqual({'GET', 'POST'},
                         {m.strip() for m in
                          response.headers['Allow'].split(',')})

    def test_wrong_method_on_server_form_is_405_with_allow(self):
        for method in ('GET', 'PUT'):
            response = self.request(PATH + '/demo/RegionOne/' + DEMO1,
                                    method=method)
            self.assertRefused(response, 405)
            self.assertEqual('POST', response.headers['Allow'])

    # Status read (GET) ---------------------------------------------------

    def test_status_read_shape(self):
        response = self.read([DEMO1, 'off1', 'err1'])
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual(
            {'servers': [
                {'id': DEMO1, 'status': 'ACTIVE', 'task_state': None,
                 'power_state': 'running'},
                {'id': 'off1', 'status': 'SHUTOFF', 'task_state': None,
                 'power_state': 'shutdown'},
                {'id': 'err1', 'status': 'ERROR', 'task_state': None,
                 'power_state': 'nostate'}]},
            response.json)

    def test_status_read_keeps_request_order(self):
        order = ['off2', DEMO3, 'err1', DEMO1, 'off1']
        response = self.read(order)
        self.assertEqual(order, [s['id'] for s in response.json['servers']])

    def test_status_read_unknown_server_is_a_failure_207(self):
        response = self.read([DEMO1, 'nosuch', 'off1'])
        body = self.assertError(response, 207)
        self.assertEqual([DEMO1, 'off1'],
                         [s['id'] for s in body['servers']])
        self.assertEqual(['nosuch'], [f['server'] for f in body['failures']])
        self.assertEqual(404, body['failures'][0]['code'])
        self.assertEqual([DEMO1, 'off1'], body['succeeded'])

    def test_status_read_all_unknown_is_404(self):
        body = self.assertError(self.read(['nosuch', 'gone']), 404)
        self.assertEqual(['nosuch', 'gone'],
                         [f['server'] for f in body['failures']])
        self.assertEqual([], body['succeeded'])

    def test_status_read_foreign_server_is_404(self):
        body = self.assertError(self.read([ALT1]), 404)
        self.assertEqual([ALT1], [f['server'] for f in body['failures']])

    def test_status_read_trailing_slash(self):
        response = self.read([DEMO1], path=PATH + '/demo/RegionOne/')
        self.assertEqual(200, response.status_int, response.text)

    def test_status_read_does_not_act(self):
        self.read([DEMO1, 'off1'])
        self.assertEqual([], self.sent())

    def test_status_read_bad_id_is_400(self):
        self.assertRefused(self.read('a%2Fb'), 400, 'a/b')

    def test_status_read_query_not_utf8_is_400(self):
        self.assertRefused(self.read('a%FFb'), 400)

    def test_status_read_too_many_is_400(self):
        self.flags(group='api', max_servers_per_request=3)
        self.assertRefused(self.read([DEMO1, DEMO2, DEMO3, 'off1']), 400,
                           'at most 3')

    def test_status_read_unknown_region_is_400(self):
        self.assertError(self.read([DEMO1], region='Mars'), 400, 'Mars',
                         'RegionOne', 'RegionTwo')

    def test_status_read_of_another_tenant_is_403(self):
        self.assertRefused(self.read([ALT1], tenant_id='alt'), 403)

    def test_status_read_without_token_is_401(self):
        self.assertRefused(self.read([DEMO1], token=None), 401,
                           UNAUTHORIZED_MSG)

    # Tokens --------------------------------------------------------------

    def test_missing_token_is_401(self):
        body = self.assertRefused(self.act(token=None), 401)
        self.assertEqual({'msg': UNAUTHORIZED_MSG, 'code': 401,
                          'reason': 'Unauthorized'}, body)

    def test_invalid_token_is_401(self):
        self.assertRefused(self.act(token=self.invalid_token()), 401,
                           UNAUTHORIZED_MSG)

    def test_unauthorized_status_400_setting(self):
        self.flags(group='api', unauthorized_status=400)
        for token in (None, self.invalid_token()):
            response = self.act(token=token)
            self.assertEqual(400, response.status_int)
            self.assertEqual({'msg': UNAUTHORIZED_MSG, 'code': 400,
                              'reason': 'Unauthorized'}, response.json)
        self.assertEqual([], self.calls)

    def test_token_header_alias(self):
        response = self.act(token=None, headers={'token': self.token()})
        self.assertOK(response)
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_x_auth_token_wins_over_alias(self):
        response = self.act(token=self.token(),
                            headers={'token': self.invalid_token()})
        self.assertOK(response)

    def test_invalid_x_auth_token_is_not_rescued_by_alias(self):
        response = self.act(token=self.invalid_token(),
                            headers={'token': self.token()})
        self.assertRefused(response, 401)

    def test_forged_identity_status_without_token_is_401(self):
        response = self.act(token=None, headers={
            'X-Identity-Status': 'Confirmed', 'X-User-Id': 'demo',
            'X-Project-Id': 'demo', 'X-Roles': 'admin,member'})
        self.assertRefused(response, 401)

    def test_forged_identity_status_with_invalid_token_is_401(self):
        response = self.act(token=self.invalid_token(), headers={
            'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'demo',
            'X-Roles': 'admin'})
        self.assertRefused(response, 401)

    def test_forged_identity_headers_grant_nothing(self):
        response = self.act(tenant_id='alt', servers=ALT1, headers={
            'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'alt',
            'X-Tenant-Id': 'alt', 'X-Roles': 'admin'})
        self.assertRefused(response, 403)

    # Sp-Agent ------------------------------------------------------------

    def test_no_sp_agent_uses_default_agent(self):
        self.assertOK(self.act(servers=DEMO1))
        self.assertEqual([('scloudm', (DEMO1,))], self.sent())

    def test_no_sp_agent_does_not_see_other_agents_regions(self):
        response = self.act(servers='demo-cn-north-1-1',
                            region='cn-north-1')
        self.assertError(response, 400, 'cn-north-1', 'RegionOne')

    def test_pbs_servers_are_404_on_default_agent(self):
        response = self.act(servers='demo-cn-north-1-1')
        self.assertError(response, 404)

    def test_known_sp_agent_routes_to_its_backend(self):
        response = self.act(servers='demo-cn-north-1-1', region='cn-north-1',
                            agent='pbs')
        self.assertOK(response)
        self.assertEqual([('pbs', ('demo-cn-north-1-1',))], self.sent())
        self.assertEqual({'demo-cn-north-1-1': 'SHUTOFF',
                          'demo-cn-north-1-2': 'ACTIVE'},
                         self.states(['demo-cn-north-1-1',
                                      'demo-cn-north-1-2'],
                                     region='cn-north-1', agent='pbs'))

    def test_explicit_default_agent(self):
        self.assertOK(self.act(servers=DEMO1, agent='scloudm'))
        self.assertEqual([('scloudm', (DEMO1,))], self.sent())

    def test_unknown_sp_agent_is_400_listing_known_agents(self):
        self.assertRefused(self.act(agent='huawei'), 400, 'huawei', 'pbs',
                           'scloudm')

    def test_sp_agent_crlf_is_escaped(self):
        response = self.act(agent='evil\r\nSet-Cookie: a=b')
        body = self.assertRefused(response, 400, 'evil')
        self.assertSafeMessage(body['msg'])
        self.assertNotIn('Set-Cookie', response.headers)

    def test_sp_agent_non_ascii_is_escaped(self):
        # WSGI carries header values as latin-1 strings.
        response = self.act(agent='sc\u00e9loud\x00')
        body = self.assertRefused(response, 400, 'sc')
        self.assertSafeMessage(body['msg'])

    def test_sp_agent_oversized_is_cut(self):
        response = self.act(agent='x' * 20000)
        body = self.assertRefused(response, 400, 'xxxx', 'scloudm')
        self.assertSafeMessage(body['msg'])

    def test_empty_sp_agent_is_unknown(self):
        self.assertRefused(self.act(agent=''), 400, 'scloudm')

    # Content types -------------------------------------------------------

    def act_raw(self, content_type):
        raw = json.dumps({'tenant_id': 'demo', 'region': 'RegionOne',
                          'servers': DEMO1, 'os-stop': None}).encode()
        headers = {'Content-Type': content_type} if content_type else {}
        return self.request(raw=raw, headers=headers)

    def test_json_body_sent_as_form_urlencoded(self):
        # What the seed's curl -d sends.
        self.assertOK(self.act_raw('application/x-www-form-urlencoded'))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_json_body_sent_as_text_plain(self):
        self.assertOK(self.act_raw('text/plain'))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_json_body_without_content_type(self):
        self.assertOK(self.act_raw(None))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_json_body_as_application_json(self):
        self.assertOK(self.act_raw('application/json; charset=utf-8'))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    # Body: the limits from the configuration ----------------------------
    # (the body rules themselves are tested once, in test_request)

    def test_too_many_servers_is_400(self):
        self.flags(group='api', max_servers_per_request=3)
        self.assertRefused(self.act(servers=[DEMO1, DEMO2, DEMO3, 'off1']),
                           400, 'at most 3')

    def test_too_many_servers_says_to_send_async(self):
        self.flags(group='api', max_servers_per_request=3)
        self.flags(group='jobs', max_servers_per_job=7)
        self.assertRefused(self.act(servers='%s,%s,%s,off1' % (
            DEMO1, DEMO2, DEMO3)), 400, 'at most 3', '"async": true',
            'up to 7 servers')

    def test_default_max_servers_per_request_is_500(self):
        servers = ['s%d' % i for i in range(501)]
        self.assertRefused(self.act(servers=servers), 400, 'at most 500')
        body = self.assertError(self.act(servers=servers[:500]), 404)
        self.assertEqual(500, len(body['failures']))

    def test_max_servers_per_request_is_allowed(self):
        self.flags(group='api', max_servers_per_request=3)
        self.assertOK(self.act(servers=[DEMO1, DEMO2, DEMO3]))

    # Body: the reboot type reaches the backend ---------------------------

    def test_reboot_hard(self):
        # SOFT is refused from SHUTOFF, so success here proves HARD.
        self.assertOK(self.act('reboot', 'off1', value={'type': 'HARD'}))
        self.assertEqual({'off1': 'ACTIVE'}, self.states(['off1']))

    def test_reboot_soft(self):
        self.assertOK(self.act('reboot', DEMO1, value={'type': 'SOFT'}))
        self.assertError(self.act('reboot', 'off1', value={'type': 'soft'}),
                         409)

    # Body: size ----------------------------------------------------------

    def test_oversized_body_is_413(self):
        self.load()  # registers [oslo_middleware] options
        self.flags(group='oslo_middleware', max_request_body_size=64)
        response = self.act(servers=[DEMO1] * 10)
        self.assertRefused(response, 413)

    def test_oversized_chunked_body_is_413(self):
        self.load()
        self.flags(group='oslo_middleware', max_request_body_size=64)
        raw = json.dumps({'tenant_id': 'demo', 'region': 'RegionOne',
                          'servers': [DEMO1] * 10, 'os-stop': None})
        req = webob.Request.blank(PATH, method='POST', body=raw.encode())
        req.headers['X-Auth-Token'] = self.token()
        req.headers['Transfer-Encoding'] = 'chunked'
        del req.headers['Content-Length']
        req.environ['wsgi.input_terminated'] = True
        self.assertRefused(req.get_response(self.load()), 413)

    def test_body_under_the_size_limit_is_served(self):
        self.load()
        self.flags(group='oslo_middleware', max_request_body_size=1000)
        self.assertOK(self.act())

    # Extensions: only_if_needed and wait ---------------------------------

    def test_only_if_needed_stop_skips_stopped_servers(self):
        response = self.act_with('os-stop', ['off1', DEMO1, 'off2'],
                                 only_if_needed=True)
        self.assertOK(response)
        self.assertEqual([('scloudm', (DEMO1,))], self.sent())
        self.assertEqual({'off1': 'SHUTOFF', DEMO1: 'SHUTOFF'},
                         self.states(['off1', DEMO1]))

    def test_only_if_needed_start_skips_active_servers(self):
        response = self.act_with('os-start', [DEMO1, 'off1'],
                                 only_if_needed=True)
        self.assertOK(response)
        self.assertEqual([('scloudm', ('off1',))], self.sent())

    def test_only_if_needed_all_already_there_sends_nothing(self):
        self.assertOK(self.act_with('os-stop', 'off1,off2',
                                    only_if_needed=True))
        self.assertEqual([], self.sent())

    def test_only_if_needed_unknown_server_fails_404(self):
        response = self.act_with('os-stop', 'nosuch,off1',
                                 only_if_needed=True)
        body = self.assertError(response, 207)
        self.assertEqual(['nosuch'], [f['server'] for f in body['failures']])
        self.assertEqual(['off1'], body['succeeded'])
        self.assertEqual([], self.sent())

    def test_only_if_needed_still_refuses_impossible_actions(self):
        # err1 is ERROR: not SHUTOFF, so start is sent and refused.
        response = self.act_with('os-start', 'err1', only_if_needed=True)
        body = self.assertError(response, 409)
        self.assertEqual(['err1'], [f['server'] for f in body['failures']])

    def test_without_only_if_needed_already_there_is_409(self):
        body = self.assertError(self.act('os-stop', 'off1'), 409)
        self.assertEqual(['off1'], [f['server'] for f in body['failures']])

    def test_wait_reaches_target(self):
        self.assertOK(self.act_with(wait=5))
        self.assertEqual({DEMO1: 'SHUTOFF'}, self.states([DEMO1]))

    def test_wait_out_of_range_or_wrong_type_is_400(self):
        self.flags(group='api', max_wait=5)
        for wait in (-1, 5.5, '1', True, None, [1]):
            self.assertError(self.act_with(wait=wait), 400, 'wait')
        self.assertEqual([], self.calls)

    def test_wait_default_maximum_is_600(self):
        self.assertRefused(self.act_with(wait=601), 400, 'wait', '600')
        self.assertOK(self.act_with(wait=600))

    def test_wait_up_to_max_wait_is_accepted(self):
        self.flags(group='api', max_wait=5)
        self.assertOK(self.act_with(wait=5))

    # Nova's state rules --------------------------------------------------

    def test_start_from_shutoff(self):
        self.assertOK(self.act('os-start', 'off1'))
        self.assertEqual({'off1': 'ACTIVE'}, self.states(['off1']))

    def test_start_from_active_is_409_like_nova(self):
        body = self.assertError(self.act('os-start', DEMO1), 409)
        self.assertEqual(
            "Cannot 'start' instance %s while it is in vm_state active"
            % DEMO1, body['failures'][0]['msg'])

    def test_start_from_error_is_409(self):
        body = self.assertError(self.act('os-start', 'err1'), 409)
        self.assertIn('vm_state error', body['failures'][0]['msg'])

    def test_stop_from_active_and_error(self):
        self.assertOK(self.act('os-stop', [DEMO1, 'err1']))
        self.assertEqual({DEMO1: 'SHUTOFF', 'err1': 'SHUTOFF'},
                         self.states([DEMO1, 'err1']))

    def test_stop_from_shutoff_is_409_like_nova(self):
        body = self.assertError(self.act('os-stop', 'off1'), 409)
        self.assertEqual(
            "Cannot 'stop' instance off1 while it is in vm_state stopped",
            body['failures'][0]['msg'])

    def test_soft_reboot_only_from_active(self):
        body = self.assertError(self.act('reboot', ['off1', 'err1'],
                                         value={'type': 'SOFT'}), 409)
        self.assertEqual(
            ["Cannot 'reboot' instance off1 while it is in vm_state stopped",
             "Cannot 'reboot' instance err1 while it is in vm_state error"],
            [f['msg'] for f in body['failures']])

    def test_hard_reboot_from_active_shutoff_and_error(self):
        self.assertOK(self.act('reboot', [DEMO1, 'off1', 'err1'],
                               value={'type': 'HARD'}))
        self.assertEqual({DEMO1: 'ACTIVE', 'off1': 'ACTIVE',
                          'err1': 'ACTIVE'},
                         self.states([DEMO1, 'off1', 'err1']))

    def test_regions_are_separate(self):
        self.assertOK(self.act('os-stop', 'demo-RegionTwo-1',
                               region='RegionTwo'))
        self.assertEqual({'demo-RegionTwo-1': 'SHUTOFF'},
                         self.states(['demo-RegionTwo-1'],
                                     region='RegionTwo'))
        self.assertEqual({DEMO1: 'ACTIVE'}, self.states([DEMO1]))

    def test_unknown_region_is_400_naming_known_regions(self):
        self.assertError(self.act(region='Mars'), 400, 'Mars', 'RegionOne',
                         'RegionTwo')
        self.assertEqual({DEMO1: 'ACTIVE'}, self.states([DEMO1]))

    # Tenant isolation and policy -----------------------------------------

    def test_other_tenants_servers_are_403(self):
        self.assertRefused(self.act(tenant_id='alt', servers=ALT1), 403)
        self.assertEqual({ALT1: 'ACTIVE'}, self.states([ALT1], 'alt'))

    def test_owner_acts_on_own_tenant(self):
        self.assertOK(self.act(tenant_id='alt', servers=ALT1,
                               token=self.owner_token('alt')))
        self.assertEqual({ALT1: 'SHUTOFF'}, self.states([ALT1], 'alt'))

    def test_admin_acts_for_another_tenant(self):
        self.assertOK(self.act(tenant_id='alt', servers=ALT1,
                               token=self.admin_token()))
        self.assertEqual({ALT1: 'SHUTOFF'}, self.states([ALT1], 'alt'))

    def test_admin_reads_another_tenant(self):
        response = self.read([ALT1], tenant_id='alt',
                             token=self.admin_token())
        self.assertEqual(200, response.status_int, response.text)

    def test_admin_naming_a_server_of_another_tenant_gets_404(self):
        body = self.assertError(self.act(tenant_id='alt', servers=DEMO1,
                                         token=self.admin_token()), 404)
        self.assertEqual([DEMO1], [f['server'] for f in body['failures']])
        self.assertEqual({DEMO1: 'ACTIVE'}, self.states([DEMO1]))

    def test_foreign_server_in_own_request_is_like_a_missing_one(self):
        body = self.assertError(self.act(servers=[ALT1, 'nosuch']), 404)
        foreign, missing = body['failures']
        self.assertEqual((ALT1, 404), (foreign['server'], foreign['code']))
        self.assertEqual(missing['msg'].replace('nosuch', 'X'),
                         foreign['msg'].replace(ALT1, 'X'))
        self.assertEqual({ALT1: 'ACTIVE'}, self.states([ALT1], 'alt'))

    # Logging -------------------------------------------------------------

    def test_audit_line_per_server(self):
        log = self.useFixture(fixtures.FakeLogger(name='vmact',
                                                  level=logging.INFO))
        response = self.act('os-stop', [DEMO1, 'off1'])
        audit = [line for line in log.output.splitlines()
                 if 'audit' in line]
        self.assertEqual(2, len(audit), log.output)
        request_id = response.headers[REQUEST_ID]
        for line, server, code in zip(audit, (DEMO1, 'off1'), (202, 409)):
            for fragment in (request_id, 'user=demo', 'project=demo',
                             'agent=scloudm', 'region=RegionOne',
                             'server=%s ' % server, 'action=os-stop',
                             'outcome=%d' % code):
                self.assertIn(fragment, line)

    def test_audit_names_agent_and_reboot_type(self):
        log = self.useFixture(fixtures.FakeLogger(name='vmact',
                                                  level=logging.INFO))
        self.act('reboot', 'demo-cn-north-1-1', region='cn-north-1',
                 value={'type': 'HARD'}, agent='pbs')
        audit = [line for line in log.output.splitlines()
                 if 'audit' in line]
        self.assertEqual(1, len(audit), log.output)
        self.assertIn('agent=pbs', audit[0])
        self.assertIn('HARD', audit[0])

    def test_refused_request_is_not_audited_as_acted(self):
        log = self.useFixture(fixtures.FakeLogger(name='vmact',
                                                  level=logging.INFO))
        self.act(tenant_id='alt', servers=ALT1)
        self.assertNotIn('server=%s' % ALT1, log.output)

    def test_token_never_logged(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        token = self.token(user='u%s' % uuid.uuid4().hex[:8])
        self.act(token=token)
        self.act(token=None, headers={'token': token})
        self.act(token=token, servers='a/b')
        self.act(token=token, tenant_id='alt', servers=ALT1)
        self.read([DEMO1], token=token)
        self.assertTrue(log.output)
        self.assertNotIn(token, log.output)

    def test_invalid_token_never_logged(self):
        log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        token = self.invalid_token()
        self.act(token=token)
        self.act(token=None, headers={'token': token})
        self.assertNotIn(token, log.output)


class NoauthContractTest(ContractTests, base.PipelineTestCase):
    auth_strategy = 'noauth'


class KeystoneContractTest(ContractTests, base.PipelineTestCase):
    auth_strategy = 'keystone'

    def test_expired_token_is_401(self):
        token = self.token(expires='2000-01-01T00:00:00Z')
        self.assertRefused(self.act(token=token), 401, UNAUTHORIZED_MSG)

    def test_unknown_token_is_401(self):
        self.assertRefused(self.act(token=uuid.uuid4().hex), 401,
                           UNAUTHORIZED_MSG)

    def test_reader_may_read(self):
        token = self.token(user='viewer', roles=('reader',))
        response = self.read([DEMO1], token=token)
        self.assertEqual(200, response.status_int, response.text)

    def test_reader_may_not_act(self):
        token = self.token(user='viewer', roles=('reader',))
        for action, value in (('os-stop', None), ('os-start', None),
                              ('reboot', {'type': 'HARD'})):
            self.assertError(self.act(action, 'off1', value=value,
                                      token=token), 403)
        self.assertEqual([], self.calls)

    def test_token_of_another_project_is_403(self):
        token = self.token(user='demo', project='alt')
        self.assertRefused(self.act(token=token), 403)

    def test_member_with_no_role_is_403(self):
        token = self.token(roles=('observer',))
        self.assertRefused(self.act(token=token), 403)

    def test_unauthorized_status_400_for_expired_token(self):
        self.flags(group='api', unauthorized_status=400)
        token = self.token(expires='2000-01-01T00:00:00Z')
        response = self.act(token=token)
        self.assertEqual(400, response.status_int)
        self.assertEqual('Unauthorized', response.json['reason'])


class NoauthOnlyTest(base.PipelineHelpers, base.PipelineTestCase):
    """noauth's "user[:project]" tokens (development only)."""

    auth_strategy = 'noauth'

    def test_user_and_project_from_token(self):
        self.assertOK(self.act(tenant_id='alt', servers=ALT1,
                               token='bob:alt'))

    def test_user_alone_is_its_own_project(self):
        self.assertOK(self.act(tenant_id='alt', servers=ALT1, token='alt'))

    def test_malformed_tokens_are_401(self):
        for token in ('a:b:c', ':demo', 'demo:', 'de mo', 'x' * 65):
            self.assertError(self.act(token=token), 401, UNAUTHORIZED_MSG)
        self.assertEqual([], self.calls)


class SlowTransitionTest(base.PipelineHelpers, base.PipelineTestCase):
    """A simulator whose actions take 0.2s to settle, as Nova's do."""

    transition_delay = 0.2

    def state(self, server):
        """The full state of one demo server in RegionOne."""
        return self.read([server]).json['servers'][0]

    def test_accepted_means_started_not_done(self):
        response = self.act_with()
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual({'id': DEMO1, 'status': 'ACTIVE',
                          'task_state': 'powering-off',
                          'power_state': 'running'}, self.state(DEMO1))

    def test_wait_follows_until_target_state(self):
        start = time.monotonic()
        response = self.act_with(wait=5)
        elapsed = time.monotonic() - start
        self.assertEqual(200, response.status_int, response.text)
        self.assertGreaterEqual(elapsed, 0.15)
        self.assertLess(elapsed, 2)
        self.assertEqual({'id': DEMO1, 'status': 'SHUTOFF',
                          'task_state': None, 'power_state': 'shutdown'},
                         self.state(DEMO1))

    def test_wait_sends_once_and_polls(self):
        self.act_with('reboot', [DEMO1, DEMO2], {'type': 'HARD'}, wait=5)
        sends = [c for c in self.calls if c[1] == 'send']
        self.assertEqual(1, len(sends))
        self.assertEqual((DEMO1, DEMO2), sends[0][2][1].servers)
        self.assertGreater(len(self.calls), 1)

    def test_wait_too_short_is_504_naming_last_state(self):
        response = self.act_with(servers=[DEMO1, DEMO2], wait=0.05)
        body = self.assertError(response, 504)
        self.assertEqual([DEMO1, DEMO2],
                         [f['server'] for f in body['failures']])
        for failure in body['failures']:
            self.assertEqual(504, failure['code'])
            self.assertIn('ACTIVE', failure['msg'])
            self.assertIn('powering-off', failure['msg'])
        self.assertEqual([], body['succeeded'])

    def test_wait_with_a_refused_server_is_207(self):
        body = self.assertError(self.act_with(servers=[DEMO1, 'off1'],
                                              wait=5), 207)
        self.assertEqual([('off1', 409)],
                         [(f['server'], f['code'])
                          for f in body['failures']])
        self.assertEqual([DEMO1], body['succeeded'])

    def test_wait_stops_when_server_goes_to_error(self):
        # A start that ends in ERROR (the simulator never does it alone).
        rules = dict(simulator.RULES)
        rules['os-start'] = ((simulator.STOPPED,), (None,), 'powering-on',
                             simulator.ERROR)
        self.useFixture(fixtures.MonkeyPatch(
            'vmact.backends.simulator.RULES', rules))
        start = time.monotonic()
        response = self.act_with('os-start', 'off1', wait=5)
        self.assertLess(time.monotonic() - start, 2)
        failure = self.assertError(response, response.status_int)[
            'failures'][0]
        self.assertEqual(response.status_int, failure['code'])
        self.assertGreaterEqual(failure['code'], 400)
        self.assertNotEqual(504, failure['code'])
        self.assertIn('last status ERROR', failure['msg'])

    def test_stop_while_powering_off_is_409_task_state(self):
        self.act_with()
        body = self.assertError(self.act_with(), 409)
        self.assertEqual(
            "Cannot 'stop' instance %s while it is in task_state "
            "powering-off" % DEMO1, body['failures'][0]['msg'])

    def test_soft_reboot_shows_reboot_status(self):
        self.act_with('reboot', value={'type': 'SOFT'})
        self.assertEqual(('REBOOT', 'rebooting'),
                         (self.state(DEMO1)['status'],
                          self.state(DEMO1)['task_state']))

    def test_hard_reboot_shows_hard_reboot_status(self):
        self.act_with('reboot', value={'type': 'HARD'})
        self.assertEqual(('HARD_REBOOT', 'rebooting_hard'),
                         (self.state(DEMO1)['status'],
                          self.state(DEMO1)['task_state']))

    def test_soft_reboot_while_rebooting_is_409(self):
        self.act_with('reboot', value=None)
        self.assertError(self.act_with('reboot', value=None), 409)

    def test_hard_reboot_while_rebooting_is_accepted(self):
        self.act_with('reboot', value=None)
        response = self.act_with('reboot', value={'type': 'HARD'})
        self.assertEqual(200, response.status_int, response.text)


# What the HTTP layer hands the app --------------------------------------

STOP_BODY = b'{"os-stop": null}'


class FailingInput(io.RawIOBase):
    """mod_wsgi's wsgi.input after the client went away mid-body."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise OSError('Apache/mod_wsgi request data read error: Partial '
                      'results are valid but processing is incomplete.')


class HttpInputTest(base.PipelineHelpers, base.PipelineTestCase):

    def post(self, path, raw=STOP_BODY, environ=None):
        req = base.blank_request(path, method='POST', token=self.token(),
                                 raw=raw)
        for key, value in (environ or {}).items():
            if value is None:
                req.environ.pop(key, None)
            else:
                req.environ[key] = value
        return req.get_response(self.load())

    def test_post_with_unknown_query_parameter_is_400_naming_it(self):
        response = self.post(PATH + '/demo/RegionOne/%s?b=1' % DEMO1)
        self.assertRefused(response, 400, '"b"')

    def test_post_body_form_with_query_parameter_is_400(self):
        response = self.post(
            PATH + '?servers=x', raw=b'{"tenant_id": "demo", "region": '
            b'"RegionOne", "servers": "%s", "os-stop": null}'
            % DEMO1.encode())
        self.assertRefused(response, 400, '"servers"')

    def test_raw_hash_in_request_uri_is_refused_not_truncated(self):
        # waitress and Apache hand PATH_INFO over without "#..."; an
        # encoded one (%23) is the client's own business.
        path = PATH + '/demo/RegionOne/' + DEMO1
        response = self.post(path, environ={
            'REQUEST_URI': path + '#-2'})
        self.assertRefused(response, 400, 'raw "#"', '%23')
        response = self.post(path, environ={'REQUEST_URI': path + '%23'})
        self.assertOK(response)

    def test_encoded_slash_in_request_uri_is_refused_not_split(self):
        # PATH_INFO has %2F decoded: "RegionOne%2F<id>" would route as
        # region RegionOne and server <id>.
        path = PATH + '/demo/RegionOne/' + DEMO1
        for raw in (PATH + '/demo/RegionOne%2F' + DEMO1,
                    PATH + '/demo/RegionOne%2f' + DEMO1 + '?x=1'):
            response = self.post(path, environ={'REQUEST_URI': raw})
            self.assertRefused(response, 400, 'encoded "/"', '%2F')
        # In the query string it is no separator: only the unknown
        # parameter is refused.
        self.assertRefused(self.post(path + '?note=a%2Fb'), 400, '"note"')

    def test_raw_hash_in_gunicorn_raw_uri_is_refused(self):
        path = PATH + '/demo/RegionOne/' + DEMO1
        response = self.post(path, environ={'REQUEST_URI': None,
                                            'RAW_URI': path + '#'})
        self.assertRefused(response, 400, 'raw "#"')

    def test_raw_hash_in_status_read_query_is_refused(self):
        path = PATH + '/demo/RegionOne?servers=' + DEMO1
        req = base.blank_request(path, method='GET', token=self.token())
        req.environ['REQUEST_URI'] = path + '#,off1'
        self.assertRefused(req.get_response(self.load()), 400, 'raw "#"')

    def test_body_shorter_than_content_length_is_400_with_one_warning(self):
        logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s'))
        req = base.blank_request(PATH + '/demo/RegionOne/' + DEMO1,
                                 method='POST', token=self.token())
        req.environ['wsgi.input'] = io.BytesIO(b'{"os-stop"')
        req.environ['CONTENT_LENGTH'] = str(len(STOP_BODY))
        self.assertRefused(req.get_response(self.load()), 400,
                           'Content-Length')
        self.assertNoTraceback(logs.output)

    def test_mod_wsgi_read_error_is_400_with_one_warning(self):
        logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s %(name)s %(message)s'))
        req = base.blank_request(PATH + '/demo/RegionOne/' + DEMO1,
                                 method='POST', token=self.token())
        req.environ['wsgi.input'] = io.BufferedReader(FailingInput())
        req.environ['CONTENT_LENGTH'] = '17'
        self.assertRefused(req.get_response(self.load()), 400,
                           'could not be read whole')
        self.assertNoTraceback(logs.output)

    def assertNoTraceback(self, output):
        self.assertNotIn('Traceback', output)
        self.assertNotIn('ERROR', output)
        warnings = [line for line in output.splitlines()
                    if 'body unreadable' in line]
        self.assertEqual(1, len(warnings), output)
