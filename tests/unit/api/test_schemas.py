"""vmact.api.schemas: valid JSON Schema, and the OpenAPI document agrees.

``doc/source/api/vm_act.yaml`` describes the wire form: values the
service trims have the schema's pattern with ``\\s*`` on both sides, and
the limits are the schemas built from the default configuration. Each
test names the document's place that disagrees.
"""

import os
import re

from oslo_config import cfg
from oslotest import base as oslotest_base
import yaml

from vmact.api import request
from vmact.api import schemas
from vmact.backends import base
from vmact.conf import api as api_conf
from vmact import exception

DOCUMENT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'doc',
                        'source', 'api', 'vm_act.yaml')
RULES = ('type', 'pattern', 'minLength', 'maxLength', 'minItems', 'maxItems',
         'minimum', 'maximum', 'enum', 'additionalProperties',
         'maxProperties', 'required')


def trimmed(pattern):
    """The wire form of an anchored pattern whose value is trimmed."""
    return r'^\s*%s\s*$' % pattern[1:-1]


def rules(schema):
    """The keywords that decide validity, OpenAPI's nullable as a type."""
    found = {k: schema[k] for k in RULES if k in schema and k != 'type'}
    types = schema.get('type', [])
    types = {types} if isinstance(types, str) else set(types)
    if schema.get('nullable'):
        types.add('null')
    found['type'] = types
    if found.get('required') == []:
        del found['required']
    return found


def wire(schema):
    """``schema`` as the document shows it: trimmed strings padded."""
    schema = dict(schema)
    if 'pattern' in schema:
        schema['pattern'] = trimmed(schema['pattern'])
    return schema


class SchemaTestCase(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        conf = cfg.ConfigOpts()
        api_conf.register_opts(conf)
        conf([], project='vmact', default_config_files=[])
        self.max_servers = conf.api.max_servers_per_request
        self.max_wait = conf.api.max_wait
        self.body = schemas.act_body(self.max_servers, self.max_wait)
        with open(DOCUMENT) as f:
            self.document = yaml.safe_load(f)
        self.components = self.document['components']['schemas']

    def resolve(self, schema):
        while '$ref' in schema:
            schema = self.components[schema['$ref'].rsplit('/', 1)[1]]
        return schema

    def assertSameRules(self, expected, documented, where):
        self.assertEqual(rules(expected), rules(self.resolve(documented)),
                         'the document disagrees at %s' % where)


class SchemasAreValidTest(SchemaTestCase):

    def test_every_schema_is_valid_draft7(self):
        for schema in (self.body, schemas.act_query(),
                       schemas.status_query(self.max_servers),
                       schemas.act_body(3, 5, ('servers',))):
            schemas.Validator.check_schema(schema)

    def test_limits_come_from_the_arguments(self):
        body = schemas.act_body(7, 42.5)
        self.assertEqual(7, body['properties']['servers']['maxItems'])
        self.assertEqual(42.5, body['properties']['wait']['maximum'])
        self.assertIn('42.5', body['properties']['wait']['description'])

    def test_dollar_is_the_end_of_the_string(self):
        validator = schemas.Validator(schemas.SERVER_ID)
        self.assertTrue(validator.is_valid('a'))
        self.assertFalse(validator.is_valid('a\n'))

    def test_numbers_are_finite(self):
        validator = schemas.Validator(schemas.wait(10))
        self.assertTrue(validator.is_valid(10))
        for value in (float('nan'), float('inf'), True):
            self.assertFalse(validator.is_valid(value), value)

    def test_any_case(self):
        pattern = re.compile(schemas.any_case(('HARD', 'SOFT')))
        for word in ('HARD', 'hard', 'sOfT'):
            self.assertTrue(pattern.fullmatch(word), word)
        for word in ('HARDSOFT', 'HAR', '', 'medium'):
            self.assertFalse(pattern.fullmatch(word), word)

    def test_every_leaf_says_what_it_expects(self):
        # The error formatter quotes each leaf's description.
        for name, rule in self.body['properties'].items():
            self.assertIn('description', rule, name)
        self.assertIn('description', schemas.SERVER_ID)
        self.assertIn('description', schemas.REBOOT['properties']['type'])

    def test_error_names_field_by_json_path(self):
        for path, expected in ((('servers', 3), 'servers[3]'),
                               (('reboot', 'type'), 'reboot.type'),
                               (('wait',), 'wait')):
            self.assertEqual(expected, request.json_path(path))

    def test_error_value_is_escaped(self):
        error = next(schemas.Validator(schemas.SERVER_ID).iter_errors(
            'a\r\n\u2028' + 'x' * 500))
        msg = request.error_message(error, 'the path', ('server_id',))
        self.assertTrue(msg.isascii() and msg.isprintable(), msg)
        self.assertIn('"server_id"', msg)
        self.assertIn(exception.quote('a\r\n\u2028' + 'x' * 500), msg)


class DocumentAgreesTest(SchemaTestCase):
    """Every pattern, limit and enum of the document is the schema's."""

    def test_path_values_are_not_trimmed(self):
        for name, rule in (('TenantId', schemas.TENANT_ID),
                           ('Region', schemas.REGION),
                           ('ServerId', schemas.SERVER_ID)):
            self.assertSameRules(rule, self.components[name], name)
        parameters = self.document['components']['parameters']
        self.assertSameRules(schemas.TENANT_ID,
                             parameters['TenantId']['schema'],
                             'parameters.TenantId')
        self.assertSameRules(schemas.REGION, parameters['Region']['schema'],
                             'parameters.Region')
        server_id = self.document['paths'][
            '/mana_api/vm_act/{tenant_id}/{region}/{server_id}'][
            'parameters'][2]
        self.assertEqual('server_id', server_id['name'])
        self.assertSameRules(schemas.SERVER_ID, server_id['schema'],
                             'the server_id path parameter')

    def test_body_fields(self):
        documented = self.components['ActRequest']
        self.assertEqual(list(self.body['properties']),
                         list(documented['properties']))
        self.assertEqual(self.body['additionalProperties'],
                         documented['additionalProperties'])
        for name, rule in self.body['properties'].items():
            if name == 'servers':
                continue
            if rule.get('type') == 'string':
                rule = wire(rule)
            self.assertSameRules(rule, documented['properties'][name],
                                 'ActRequest.properties.%s' % name)

    def test_exactly_one_action(self):
        # A cross-field rule (vmact.api.request), the document's oneOf.
        one_of = self.components['ActRequest']['oneOf']
        self.assertEqual([[name] for name in base.ACTIONS],
                         [choice['required'] for choice in one_of])
        self.assertEqual({'type': 'boolean', 'enum': [False]},
                         one_of[-1]['properties']['only_if_needed'])

    def test_reboot_type(self):
        self.assertSameRules(
            wire(schemas.REBOOT['properties']['type']),
            self.components['Reboot']['properties']['type'],
            'Reboot.properties.type')

    def test_servers_as_array(self):
        servers = schemas.servers(self.max_servers)
        array = self.components['Servers']['oneOf'][1]
        self.assertSameRules(servers, array, 'Servers.oneOf[1]')
        self.assertSameRules(wire(servers['items']), array['items'],
                             'Servers.oneOf[1].items')

    def test_servers_as_comma_string(self):
        item = trimmed(schemas.SERVER_ID['pattern'])[1:-1]
        expected = r'^%s(,%s){0,%d}$' % (item, item, self.max_servers - 1)
        self.assertEqual(expected,
                         self.components['Servers']['oneOf'][0]['pattern'],
                         'Servers.oneOf[0].pattern')

    def test_status_read_servers(self):
        servers = schemas.status_query(self.max_servers)['properties'][
            'servers']
        parameter, = self.document['paths'][
            '/mana_api/vm_act/{tenant_id}/{region}']['get']['parameters']
        self.assertTrue(parameter['required'])
        self.assertSameRules(servers, parameter['schema'],
                             'the servers query parameter')
        self.assertSameRules(wire(servers['items']),
                             parameter['schema']['items'],
                             'the servers query parameter items')
