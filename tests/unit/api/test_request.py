"""The contract's parsing rules, on the pure functions of vmact.api.request.

These tests need no pipeline and no backend: each feeds a path, a raw body
or a decoded body to one function and checks what it accepts or the
BadRequest it raises.
"""

import json

from oslotest import base as oslotest_base
import webob.multidict

from vmact.api import request
from vmact.backends import base as backend_base
from vmact import exception

PREFIX = '/mana_api/vm_act'
MAX_SERVERS = 5
MAX_WAIT = 60


def body(**fields):
    """A valid body-form request, stopping server ``a``, with ``fields``."""
    result = {'tenant_id': 'demo', 'region': 'RegionOne', 'servers': 'a',
              'os-stop': None}
    result.update(fields)
    return result


class RequestTestCase(oslotest_base.BaseTestCase):

    def assertBadRequest(self, func, *args, fragments=()):
        """``func(*args)`` raises BadRequest whose message names fragments."""
        error = self.assertRaises(exception.BadRequest, func, *args)
        self.assertEqual(400, error.code)
        for fragment in fragments:
            self.assertIn(fragment, error.msg)
        return error

    def assertSafeMessage(self, msg):
        """A message carries no raw control or non-ASCII character."""
        self.assertTrue(msg.isascii(), msg)
        self.assertTrue(msg.isprintable(), msg)


class RouteTest(RequestTestCase):

    def test_body_form_is_post_only(self):
        found = request.route(PREFIX)
        self.assertEqual(('POST',), found.methods)
        self.assertIsNone(found.tenant_id)
        self.assertIsNone(found.region)
        self.assertIsNone(found.server_id)

    def test_tenant_region_form_allows_get_and_post(self):
        found = request.route(PREFIX + '/demo/RegionOne')
        self.assertEqual({'GET', 'POST'}, set(found.methods))
        self.assertEqual(('demo', 'RegionOne', None),
                         (found.tenant_id, found.region, found.server_id))

    def test_server_form_is_post_only(self):
        found = request.route(PREFIX + '/demo/RegionOne/k432k234')
        self.assertEqual(('POST',), found.methods)
        self.assertEqual(('demo', 'RegionOne', 'k432k234'),
                         (found.tenant_id, found.region, found.server_id))

    def test_one_trailing_slash_is_tolerated(self):
        self.assertEqual(request.route(PREFIX), request.route(PREFIX + '/'))
        self.assertEqual(request.route(PREFIX + '/demo/RegionOne'),
                         request.route(PREFIX + '/demo/RegionOne/'))
        self.assertEqual(request.route(PREFIX + '/demo/R/s'),
                         request.route(PREFIX + '/demo/R/s/'))

    def test_unknown_paths_are_none(self):
        for path in ('/', '', '/mana_api', '/mana_api/vm_acts',
                     '/mana_api/vm_act_x', PREFIX + '/demo',
                     PREFIX + '/demo/RegionOne/s/extra', PREFIX + '//',
                     '/other' + PREFIX):
            self.assertIsNone(request.route(path), path)

    def test_bad_server_id_in_path_is_400(self):
        for server in ('a.b', 'a%b', 'a b', 'x' * 65, 'caf\u00e9'):
            error = self.assertBadRequest(
                request.route, PREFIX + '/demo/RegionOne/' + server,
                fragments=('server_id',))
            self.assertSafeMessage(error.msg)

    def test_bad_tenant_in_path_is_400(self):
        self.assertBadRequest(request.route, PREFIX + '/de.mo/RegionOne',
                              fragments=('tenant_id', 'de.mo'))

    def test_empty_tenant_in_path_is_400(self):
        self.assertBadRequest(request.route, PREFIX + '//RegionOne')

    def test_bad_region_in_path_is_400(self):
        self.assertBadRequest(request.route, PREFIX + '/demo/Region One',
                              fragments=('region',))


class ParseBodyTest(RequestTestCase):

    def test_object(self):
        self.assertEqual({'a': None}, request.parse_body(b'{"a": null}'))

    def test_keys_are_trimmed(self):
        parsed = request.parse_body(b'{"os-stop ": null, " reboot": 1}')
        self.assertEqual({'os-stop', 'reboot'}, set(parsed))

    def test_nested_keys_are_trimmed(self):
        parsed = request.parse_body(b'{"reboot": {" type ": "HARD"}}')
        self.assertEqual({'type': 'HARD'}, parsed['reboot'])

    def test_duplicate_key_after_trimming_is_400(self):
        self.assertBadRequest(request.parse_body,
                              b'{"os-stop": null, "os-stop ": null}',
                              fragments=('os-stop', 'twice'))

    def test_exact_duplicate_key_is_400(self):
        self.assertBadRequest(request.parse_body,
                              b'{"servers": "a", "servers": "b"}',
                              fragments=('servers',))

    def test_empty_body_is_400(self):
        for raw in (b'', b'   ', b'\n'):
            self.assertBadRequest(request.parse_body, raw)

    def test_malformed_json_says_line_and_column(self):
        raw = b'{\n  "servers": "a",\n  "os-start": null,\n}'
        self.assertBadRequest(request.parse_body, raw,
                              fragments=('Malformed JSON', 'line 4',
                                         'column 1'))

    def test_seed_sample_missing_comma_says_where(self):
        # The seed's own curl body lacks a comma after "servers".
        raw = (b'{\n  "servers": "k432k234,a342fsd,234sdfg"\n'
               b'  "os-start": null\n}')
        self.assertBadRequest(request.parse_body, raw,
                              fragments=('line 3', 'column 3'))

    def test_trailing_garbage_is_400(self):
        self.assertBadRequest(request.parse_body, b'{"a": 1} x',
                              fragments=('line 1', 'column 10'))

    def test_not_an_object_is_400(self):
        for raw, kind in ((b'[]', 'array'), (b'"x"', 'string'),
                          (b'1', 'number'), (b'null', 'null'),
                          (b'true', 'boolean')):
            self.assertBadRequest(request.parse_body, raw,
                                  fragments=('JSON object', kind))

    def test_not_utf8_is_400(self):
        self.assertBadRequest(request.parse_body, b'{"servers": "\xff"}',
                              fragments=('UTF-8', '13'))

    def test_nan_and_infinity_are_400(self):
        for constant in (b'NaN', b'Infinity', b'-Infinity'):
            self.assertBadRequest(request.parse_body,
                                  b'{"wait": ' + constant + b'}',
                                  fragments=(constant.decode(),))

    def test_deep_nesting_is_400(self):
        self.assertBadRequest(request.parse_body, b'[' * 100000,
                              fragments=('Malformed JSON',))

    def test_integer_too_long_to_parse_is_400(self):
        # Python refuses to convert integers of more than 4300 digits.
        raw = b'{"wait": ' + b'1' * 5000 + b'}'
        self.assertBadRequest(request.parse_body, raw)


class ParseServersTest(RequestTestCase):

    def test_comma_string(self):
        self.assertEqual(('a', 'b', 'c'),
                         request.parse_servers('a,b,c', MAX_SERVERS))

    def test_list(self):
        self.assertEqual(('a', 'b'),
                         request.parse_servers(['a', 'b'], MAX_SERVERS))

    def test_items_are_trimmed(self):
        self.assertEqual(('a', 'b'),
                         request.parse_servers(' a ,\tb\n', MAX_SERVERS))
        self.assertEqual(('a', 'b'),
                         request.parse_servers([' a', 'b '], MAX_SERVERS))

    def test_duplicates_dropped_first_order_kept(self):
        self.assertEqual(('b', 'a', 'c'),
                         request.parse_servers('b,a,b, a,c', MAX_SERVERS))
        self.assertEqual(('b', 'a'),
                         request.parse_servers(['b', 'a', 'b '],
                                               MAX_SERVERS))

    def test_empty_item_is_400_naming_its_position(self):
        for value, position in (('a,,b', 2), (',a', 1), ('a,', 2),
                                ('a, ,b', 2), ('', 1), (['a', ''], 2),
                                ([' '], 1)):
            self.assertBadRequest(request.parse_servers, value, MAX_SERVERS,
                                  fragments=('empty', 'position %d'
                                             % position))

    def test_empty_list_is_400(self):
        # An empty list names no server: nothing to act on is a missing
        # field, not a vacuous success.
        self.assertBadRequest(request.parse_servers, [], MAX_SERVERS)

    def test_non_string_items_are_400(self):
        for value in ([1], ['a', None], [['a']], [{'id': 'a'}]):
            self.assertBadRequest(request.parse_servers, value, MAX_SERVERS,
                                  fragments=('strings',))

    def test_wrong_type_is_400(self):
        for value, kind in ((None, 'null'), (1, 'number'),
                            ({'a': 1}, 'object'), (True, 'boolean')):
            self.assertBadRequest(request.parse_servers, value, MAX_SERVERS,
                                  fragments=('servers', kind))

    def test_valid_ids(self):
        for server in ('k432k234', '0c3a5e5e-7f3a-4b7e-9d53-9a1f2b3c4d5e',
                       'a_b-C', 'x' * 64, '1'):
            self.assertEqual((server,),
                             request.parse_servers(server, MAX_SERVERS))

    def test_invalid_ids_are_400_named_safely(self):
        for server in ('a/b', 'a.b', '..', 'a?b', 'a#b', 'a%2Fb', 'a b',
                       'a\tb', 'a\x00b', 'a\x1bb', 'a\x7fb', 'a\r\nb',
                       'caf\u00e9', 'a\u2028b', 'x' * 65):
            error = self.assertBadRequest(
                request.parse_servers, [server], MAX_SERVERS,
                fragments=('Invalid server ID',))
            self.assertSafeMessage(error.msg)
            self.assertIn(json.dumps(server)[:20], error.msg)

    def test_too_many_servers_is_400(self):
        self.assertBadRequest(request.parse_servers,
                              ','.join('s%d' % i for i in range(6)), 5,
                              fragments=('6', '5'))

    def test_exactly_the_maximum_is_accepted(self):
        servers = ['s%d' % i for i in range(MAX_SERVERS)]
        self.assertEqual(tuple(servers),
                         request.parse_servers(servers, MAX_SERVERS))

    def test_huge_list_is_refused_before_validation(self):
        error = self.assertBadRequest(request.parse_servers,
                                      ['x/y'] * 1000, MAX_SERVERS)
        self.assertIn('at most', error.msg)


class ParseActionTest(RequestTestCase):

    def test_start_and_stop_take_null_or_empty_object(self):
        for name in ('os-start', 'os-stop'):
            for value in (None, {}):
                action = request.parse_action({name: value}, MAX_WAIT)
                self.assertEqual(name, action.name)
                self.assertIsNone(action.reboot_type)

    def test_start_and_stop_refuse_other_values(self):
        for value in (True, 0, '', 'now', [], {'force': True}):
            self.assertBadRequest(request.parse_action, {'os-stop': value},
                                  MAX_WAIT, fragments=('os-stop',))

    def test_reboot_types(self):
        for value, expected in (({'type': 'HARD'}, 'HARD'),
                                ({'type': 'SOFT'}, 'SOFT'),
                                ({'type': 'hard'}, 'HARD'),
                                ({'type': 'Soft'}, 'SOFT'),
                                (None, 'SOFT'), ({}, 'SOFT')):
            action = request.parse_action({'reboot': value}, MAX_WAIT)
            self.assertEqual(('reboot', expected),
                             (action.name, action.reboot_type), value)

    def test_bad_reboot_type_is_400(self):
        for kind in ('POWER', '', 'HARDER', None, 1, ['HARD']):
            self.assertBadRequest(request.parse_action,
                                  {'reboot': {'type': kind}}, MAX_WAIT,
                                  fragments=('HARD', 'SOFT'))

    def test_reboot_value_not_an_object_is_400(self):
        for value in ('HARD', True, ['HARD']):
            self.assertBadRequest(request.parse_action, {'reboot': value},
                                  MAX_WAIT, fragments=('reboot',))

    def test_extra_key_in_reboot_is_400(self):
        self.assertBadRequest(request.parse_action,
                              {'reboot': {'type': 'HARD', 'force': True}},
                              MAX_WAIT, fragments=('force',))

    def test_no_action_is_400(self):
        self.assertBadRequest(request.parse_action, {'servers': 'a'},
                              MAX_WAIT, fragments=('No action',))

    def test_two_actions_are_400(self):
        self.assertBadRequest(request.parse_action,
                              {'os-start': None, 'reboot': None}, MAX_WAIT,
                              fragments=('os-start', 'reboot'))

    def test_only_if_needed(self):
        action = request.parse_action({'os-start': None,
                                       'only_if_needed': True}, MAX_WAIT)
        self.assertTrue(action.only_if_needed)
        action = request.parse_action({'os-start': None}, MAX_WAIT)
        self.assertFalse(action.only_if_needed)

    def test_only_if_needed_with_reboot_is_400(self):
        self.assertBadRequest(request.parse_action,
                              {'reboot': None, 'only_if_needed': True},
                              MAX_WAIT, fragments=('only_if_needed',))

    def test_only_if_needed_false_with_reboot_is_accepted(self):
        action = request.parse_action({'reboot': None,
                                       'only_if_needed': False}, MAX_WAIT)
        self.assertEqual('reboot', action.name)

    def test_only_if_needed_must_be_boolean(self):
        for value in ('true', 1, None, {}):
            self.assertBadRequest(request.parse_action,
                                  {'os-stop': None, 'only_if_needed': value},
                                  MAX_WAIT, fragments=('only_if_needed',))

    def test_wait(self):
        for value in (0, 0.5, 30, MAX_WAIT):
            action = request.parse_action({'os-stop': None, 'wait': value},
                                          MAX_WAIT)
            self.assertEqual(value, action.wait)
        self.assertEqual(0, request.parse_action({'os-stop': None},
                                                 MAX_WAIT).wait)

    def test_wait_out_of_range_or_wrong_type_is_400(self):
        for value in (-1, -0.001, MAX_WAIT + 0.5, '5', True, False, None,
                      [], {}, float('inf'), float('nan')):
            self.assertBadRequest(request.parse_action,
                                  {'os-stop': None, 'wait': value},
                                  MAX_WAIT, fragments=('wait',))

    def test_wait_huge_integer_is_400(self):
        # JSON allows integers of any size; one too big for a float must
        # still be a 400, not an OverflowError.
        self.assertBadRequest(request.parse_action,
                              {'os-stop': None, 'wait': 10 ** 400},
                              MAX_WAIT, fragments=('wait',))


class ActRequestTest(RequestTestCase):

    def act_request(self, path, fields):
        return request.act_request(request.route(path), fields,
                                   MAX_SERVERS, MAX_WAIT)

    def test_body_form(self):
        parsed = self.act_request(PREFIX, body(servers='a,b'))
        self.assertEqual(backend_base.Target('demo', 'RegionOne', ('a', 'b')),
                         parsed.target)
        self.assertEqual('os-stop', parsed.action.name)

    def test_tenant_and_region_values_are_trimmed(self):
        parsed = self.act_request(PREFIX, body(tenant_id=' demo ',
                                               region=' RegionOne'))
        self.assertEqual(('demo', 'RegionOne'),
                         (parsed.target.tenant_id, parsed.target.region))

    def test_tenant_region_path_form(self):
        parsed = self.act_request(PREFIX + '/demo/RegionOne',
                                  {'servers': 'a', 'os-stop': None})
        self.assertEqual(backend_base.Target('demo', 'RegionOne', ('a',)),
                         parsed.target)

    def test_server_path_form_without_servers(self):
        parsed = self.act_request(PREFIX + '/demo/RegionOne/a',
                                  {'os-start': None})
        self.assertEqual(('a',), parsed.target.servers)

    def test_server_path_form_with_servers_targets_the_servers(self):
        parsed = self.act_request(PREFIX + '/demo/RegionOne/a342fsd',
                                  {'servers': 'k432k234,a342fsd,234sdfg',
                                   'os-start': None})
        self.assertEqual(('k432k234', 'a342fsd', '234sdfg'),
                         parsed.target.servers)

    def test_path_server_not_among_servers_is_400(self):
        self.assertBadRequest(self.act_request, PREFIX + '/demo/R/c',
                              {'servers': 'a,b', 'os-start': None},
                              fragments=('"c"', 'servers'))

    def test_equal_values_in_path_and_body_are_accepted(self):
        parsed = self.act_request(PREFIX + '/demo/RegionOne', body())
        self.assertEqual('demo', parsed.target.tenant_id)

    def test_path_and_body_disagreeing_is_400(self):
        for field, value in (('tenant_id', 'alt'), ('region', 'RegionTwo')):
            self.assertBadRequest(self.act_request, PREFIX + '/demo/RegionOne',
                                  body(**{field: value}),
                                  fragments=(field, value))

    def test_missing_fields_are_400_naming_them(self):
        for field in ('tenant_id', 'region', 'servers'):
            fields = body()
            del fields[field]
            self.assertBadRequest(self.act_request, PREFIX, fields,
                                  fragments=(field,))

    def test_non_string_tenant_or_region_is_400(self):
        for field in ('tenant_id', 'region'):
            for value in (None, 1, ['demo']):
                self.assertBadRequest(self.act_request, PREFIX,
                                      body(**{field: value}),
                                      fragments=(field,))

    def test_invalid_tenant_or_region_in_body_is_400(self):
        for field, value in (('tenant_id', 'de/mo'), ('tenant_id', ''),
                             ('region', 'Region One'), ('region', '')):
            self.assertBadRequest(self.act_request, PREFIX,
                                  body(**{field: value}),
                                  fragments=(field,))

    def test_unknown_key_is_400_naming_it(self):
        self.assertBadRequest(self.act_request, PREFIX, body(force=True),
                              fragments=('"force"',))

    def test_misspelt_action_is_400_naming_it(self):
        fields = body(**{'os-stp': None})
        del fields['os-stop']
        self.assertBadRequest(self.act_request, PREFIX, fields,
                              fragments=('"os-stp"',))

    def test_keys_are_matched_after_trimming(self):
        parsed = self.act_request(PREFIX, request.parse_body(
            b'{" tenant_id": "demo", "region ": "RegionOne", '
            b'"servers": "a", "reboot ": {"type": "HARD"}}'))
        self.assertEqual('HARD', parsed.action.reboot_type)

    def test_too_many_servers_is_400(self):
        self.assertBadRequest(self.act_request, PREFIX,
                              body(servers=['s%d' % i for i in range(6)]),
                              fragments=('at most 5',))


class ShowRequestTest(RequestTestCase):

    def show_request(self, query):
        return request.show_request(request.route(PREFIX + '/demo/R'),
                                    webob.multidict.MultiDict(query),
                                    MAX_SERVERS)

    def test_servers_in_order(self):
        self.assertEqual(backend_base.Target('demo', 'R', ('b', 'a')),
                         self.show_request([('servers', 'b, a,b')]))

    def test_repeated_parameter_is_joined(self):
        self.assertEqual(('a', 'b'), self.show_request(
            [('servers', 'a'), ('servers', 'b')]).servers)

    def test_missing_servers_is_400(self):
        self.assertBadRequest(self.show_request, [],
                              fragments=('servers',))

    def test_empty_servers_is_400(self):
        self.assertBadRequest(self.show_request, [('servers', '')])

    def test_unknown_parameter_is_400(self):
        self.assertBadRequest(self.show_request,
                              [('servers', 'a'), ('detail', '1')],
                              fragments=('detail',))

    def test_invalid_id_is_400(self):
        self.assertBadRequest(self.show_request, [('servers', 'a/b')],
                              fragments=('Invalid server ID',))

    def test_too_many_is_400(self):
        self.assertBadRequest(self.show_request,
                              [('servers', 'a,b,c,d,e,f')],
                              fragments=('at most',))
