"""The request rules, on the pure functions of vmact.api.request.

The one place the body and query rules are tested (the pipeline tests
keep what depends on the auth strategy). These tests need no pipeline and
no backend: each feeds a path, a raw body or a decoded body to one
function and checks what it accepts or the BadRequest it raises, and that
the message names the field (by its JSON path) and the value.
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


def act(fields, max_servers=MAX_SERVERS, path=PREFIX):
    """act_request on ``path`` with the module's limits."""
    return request.act_request(request.route(path), fields, max_servers,
                               MAX_WAIT)


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


class ServersTest(RequestTestCase):
    """The body's "servers"; the status read shares the rule."""

    def servers(self, value, max_servers=MAX_SERVERS):
        return act(body(servers=value), max_servers).target.servers

    def assertRefused(self, value, *fragments, max_servers=MAX_SERVERS):
        return self.assertBadRequest(self.servers, value, max_servers,
                                     fragments=fragments)

    def test_comma_string(self):
        self.assertEqual(('a', 'b', 'c'), self.servers('a,b,c'))

    def test_list(self):
        self.assertEqual(('a', 'b'), self.servers(['a', 'b']))

    def test_items_are_trimmed(self):
        self.assertEqual(('a', 'b'), self.servers(' a ,\tb\n'))
        self.assertEqual(('a', 'b'), self.servers([' a', 'b\u3000']))

    def test_duplicates_dropped_first_order_kept(self):
        self.assertEqual(('b', 'a', 'c'), self.servers('b,a,b, a,c'))
        self.assertEqual(('b', 'a'), self.servers(['b', 'a', 'b ']))

    def test_empty_item_is_400_naming_its_place(self):
        for value, index in (('a,,b', 1), (',a', 0), ('a,', 1),
                             ('a, ,b', 1), ('', 0), (['a', ''], 1),
                             ([' '], 0)):
            self.assertRefused(value, 'empty', '"servers[%d]"' % index)

    def test_empty_list_is_400(self):
        # An empty list names no server: nothing to act on is a missing
        # field, not a vacuous success.
        self.assertRefused([], '"servers"', 'empty')

    def test_non_string_items_are_400(self):
        for value, shown in (([1], 'the number 1'), (['a', None], 'null'),
                             ([['a']], 'the array ["a"]'),
                             ([{'id': 'a'}], 'the object {"id": "a"}')):
            self.assertRefused(value, '"servers[%d]"' % (len(value) - 1),
                               shown, 'server ID')

    def test_wrong_type_is_400(self):
        for value, kind in ((None, 'null'), (1, 'number'),
                            ({'a': 1}, 'object'), (True, 'boolean')):
            self.assertRefused(value, '"servers"', kind,
                               'comma-separated string or a list')

    def test_valid_ids(self):
        for server in ('k432k234', '0c3a5e5e-7f3a-4b7e-9d53-9a1f2b3c4d5e',
                       'a_b-C', 'x' * 64, '1'):
            self.assertEqual((server,), self.servers(server))

    def test_invalid_ids_are_400_named_safely(self):
        for server in ('a/b', '../x', 'a.b', '..', 'a?b', 'a#b', 'a%2Fb',
                       'a b', 'a\tb', 'a\x00b', 'a\x1bb', 'a\x7fb', 'a\r\nb',
                       'caf\u00e9', 'a\u2028b', 'x' * 65):
            error = self.assertRefused(['a', server], '"servers[1]"',
                                       'not a server ID')
            self.assertSafeMessage(error.msg)
            self.assertIn(json.dumps(server)[:20], error.msg)

    def test_id_with_a_newline_inside_the_trim_is_400(self):
        # Python's "$" matches before a final newline; the schema's must
        # not (the path is not trimmed, so "a\n" can reach the pattern).
        self.assertBadRequest(request.route, PREFIX + '/demo/RegionOne/a\n',
                              fragments=('"server_id"', 'not a server ID'))

    def test_too_many_servers_is_400(self):
        self.assertRefused(','.join('s%d' % i for i in range(6)),
                           '"servers"', '6 items', 'at most 5')

    def test_counted_before_duplicates_are_dropped(self):
        self.assertRefused(['a'] * 6, 'at most 5')

    def test_exactly_the_maximum_is_accepted(self):
        servers = ['s%d' % i for i in range(MAX_SERVERS)]
        self.assertEqual(tuple(servers), self.servers(servers))

    def test_huge_list_is_refused_before_validation(self):
        self.assertRefused(['x/y'] * 1000, 'at most')

    def test_limit_comes_from_the_caller(self):
        servers = ['s%d' % i for i in range(8)]
        self.assertEqual(tuple(servers), self.servers(servers, 8))
        self.assertRefused(servers, 'at most 7', max_servers=7)


class ActionTest(RequestTestCase):

    def action(self, **fields):
        fields = dict(tenant_id='demo', region='RegionOne', servers='a',
                      **fields)
        return act(fields).action

    def assertRefused(self, *fragments, **fields):
        return self.assertBadRequest(lambda: self.action(**fields),
                                     fragments=fragments)

    def test_start_and_stop_take_null_or_empty_object(self):
        for name in ('os-start', 'os-stop'):
            for value in (None, {}):
                action = self.action(**{name: value})
                self.assertEqual(name, action.name)
                self.assertIsNone(action.reboot_type)

    def test_start_and_stop_refuse_other_values(self):
        for value in (True, 0, '', 'now', []):
            self.assertRefused('"os-stop"', 'null or {}',
                               **{'os-stop': value})

    def test_start_and_stop_refuse_arguments(self):
        self.assertRefused('Unknown field "force" in "os-stop"',
                           **{'os-stop': {'force': True}})

    def test_reboot_types(self):
        for value, expected in (({'type': 'HARD'}, 'HARD'),
                                ({'type': 'SOFT'}, 'SOFT'),
                                ({'type': 'hard'}, 'HARD'),
                                ({'type': ' Soft '}, 'SOFT'),
                                (None, 'SOFT'), ({}, 'SOFT')):
            action = self.action(reboot=value)
            self.assertEqual(('reboot', expected),
                             (action.name, action.reboot_type), value)

    def test_bad_reboot_type_is_400(self):
        for kind in ('POWER', '', 'HARDER', 'H ARD', None, 1, ['HARD']):
            self.assertRefused('"reboot.type"', 'HARD', 'SOFT',
                               reboot={'type': kind})

    def test_reboot_value_not_an_object_is_400(self):
        for value in ('HARD', True, ['HARD']):
            self.assertRefused('"reboot"', reboot=value)

    def test_extra_key_in_reboot_is_400(self):
        self.assertRefused('"force"', '"reboot"', 'known: type',
                           reboot={'type': 'HARD', 'force': True})

    def test_no_action_is_400(self):
        self.assertRefused('No action', 'os-start', 'os-stop', 'reboot')

    def test_two_actions_are_400(self):
        self.assertRefused('os-start', 'reboot',
                           **{'os-start': None, 'reboot': None})

    def test_only_if_needed(self):
        action = self.action(only_if_needed=True, **{'os-start': None})
        self.assertTrue(action.only_if_needed)
        action = self.action(**{'os-start': None})
        self.assertFalse(action.only_if_needed)

    def test_only_if_needed_with_reboot_is_400(self):
        self.assertRefused('only_if_needed', reboot=None,
                           only_if_needed=True)

    def test_only_if_needed_false_with_reboot_is_accepted(self):
        action = self.action(reboot=None, only_if_needed=False)
        self.assertEqual('reboot', action.name)

    def test_only_if_needed_must_be_boolean(self):
        for value in ('true', 1, None, {}):
            self.assertRefused('"only_if_needed"', 'true or false',
                               only_if_needed=value, **{'os-stop': None})

    def test_wait(self):
        for value in (0, 0.5, 30, MAX_WAIT):
            self.assertEqual(value, self.action(wait=value,
                                                **{'os-stop': None}).wait)
        self.assertEqual(0, self.action(**{'os-stop': None}).wait)

    def test_wait_out_of_range_or_wrong_type_is_400(self):
        for value in (-1, -0.001, MAX_WAIT + 0.5, '5', True, False, None,
                      [], {}, float('inf'), float('nan')):
            self.assertRefused('"wait"', 'from 0 to 60', wait=value,
                               **{'os-stop': None})

    def test_wait_huge_integer_is_400(self):
        # JSON allows integers of any size; one too big for a float must
        # still be a 400, not an OverflowError.
        self.assertRefused('"wait"', wait=10 ** 400, **{'os-stop': None})


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
        self.assertBadRequest(self.show_request, [('servers', 'a, a/b')],
                              fragments=('"servers[1]"', '"a/b"',
                                         'not a server ID'))

    def test_too_many_is_400(self):
        self.assertBadRequest(self.show_request,
                              [('servers', 'a,b,c,d,e,f')],
                              fragments=('at most',))
