"""Parse the request and check it, against vmact.api.schemas and beyond.

Nothing a client sends reaches a backend unchecked. Here: the key-trimming
JSON parse, the accepted forms made one, the cross-field rules (one
action, path against body), and the one formatter that turns a schema
error into a BadRequest naming the field and the escaped value.
"""

import dataclasses
import json
import typing

from vmact.api import schemas
from vmact.backends import base
from vmact import exception
from vmact.exception import quote

PREFIX = '/mana_api/vm_act'
BODY = 'the request body'
PATH = 'the path'
QUERY = 'the query string'
JSON_TYPES = ((bool, 'boolean'), ((int, float), 'number'), (str, 'string'),
              (list, 'array'))
PATH_RULES = {'tenant_id': schemas.Validator(schemas.TENANT_ID),
              'region': schemas.Validator(schemas.REGION),
              'server_id': schemas.Validator(schemas.SERVER_ID)}


@dataclasses.dataclass(frozen=True)
class Route:
    """What the path says: which form, and the values it carries."""

    methods: typing.Tuple[str, ...]
    tenant_id: typing.Optional[str] = None
    region: typing.Optional[str] = None
    server_id: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class ActRequest:
    """A validated action request."""

    target: base.Target
    action: base.Action


def route(path):
    """Match ``path`` to one of the vm_act forms, or None for a 404.

    One trailing slash is tolerated. Path values are validated here, so a
    bad tenant, region or server ID in the path is a 400, not a 404.
    """
    if path.endswith('/') and path != '/':
        path = path[:-1]
    if path == PREFIX:
        return Route(methods=('POST',))
    if not path.startswith(PREFIX + '/'):
        return None
    parts = path[len(PREFIX) + 1:].split('/')
    if len(parts) not in (2, 3):
        return None
    values = dict(zip(PATH_RULES, parts))
    for field, value in values.items():
        validate(PATH_RULES[field], value, PATH, (field,))
    return Route(('GET', 'POST') if len(parts) == 2 else ('POST',), **values)


def wsgi_path(environ):
    """PATH_INFO as text (WSGI hands it over as latin-1 decoded bytes).

    The target as sent (REQUEST_URI: waitress, mod_wsgi; RAW_URI:
    gunicorn) must hold no raw ``#``, which the server drops with what
    follows, nor ``%2F``, which PATH_INFO decodes: either would change
    which server the path names (``RegionOne%2Fvm-1`` names ``vm-1``).
    """
    target = environ.get('REQUEST_URI', environ.get('RAW_URI', ''))
    if '#' in target:
        raise exception.BadRequest(
            'The request target %s contains a raw "#"; send it percent-'
            'encoded (%%23), or leave the fragment out.' % quote(target))
    if '%2f' in target.partition('?')[0].lower():
        raise exception.BadRequest(
            'The request path %s contains an encoded "/" (%%2F): no '
            'tenant, region or server ID may contain "/".' % quote(target))
    try:
        return environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
    except UnicodeError:
        raise exception.BadRequest('The request path is not valid UTF-8.')


def parse_body(raw):
    """Decode the body as one JSON object, whatever the Content-Type.

    Keys are trimmed (the original document writes ``'os-stop '``); a key
    that appears twice after trimming is an error, not an overwrite.
    """
    if not raw or not raw.strip():
        raise exception.BadRequest('The request body is empty; expected a '
                                   'JSON object.')
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        raise exception.BadRequest('The request body is not UTF-8: invalid '
                                   'byte at position %d.' % e.start)
    try:
        body = json.loads(text, object_pairs_hook=_trimmed_object,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise exception.BadRequest('Malformed JSON in the request body: %s '
                                   '(line %d column %d).'
                                   % (e.msg, e.lineno, e.colno))
    except ValueError as e:
        raise exception.BadRequest('Malformed JSON in the request body: %s.'
                                   % e)
    except RecursionError:
        raise exception.BadRequest('Malformed JSON in the request body: '
                                   'nested too deeply.')
    if not isinstance(body, dict):
        raise exception.BadRequest('The request body must be a JSON object, '
                                   'not %s.' % _shown(body))
    return body


def act_request(route_, body, max_servers, max_wait):
    """Validate a POST body against its route; return an ActRequest."""
    required = [field for field in ('tenant_id', 'region')
                if getattr(route_, field) is None]
    if route_.server_id is None:
        required.append('servers')
    body = _normalised(body)
    validate(schemas.validator(schemas.act_body, max_servers, max_wait,
                               tuple(required)), body, BODY)
    tenant_id = _merged('tenant_id', route_.tenant_id, body)
    region = _merged('region', route_.region, body)
    if 'servers' in body:
        servers = tuple(dict.fromkeys(body['servers']))
        if route_.server_id and route_.server_id not in servers:
            raise exception.BadRequest(
                'The path names server %s, which is not among "servers".'
                % quote(route_.server_id))
    else:
        servers = (route_.server_id,)
    return ActRequest(base.Target(tenant_id, region, servers),
                      _action(body))


def query_params(req):
    """The query string's parameters; a 400 when it is not UTF-8."""
    try:
        return req.GET
    except UnicodeError:
        raise exception.BadRequest('The query string is not valid UTF-8.')


def check_act_query(params):
    """An action takes no query parameter: each one is a 400 naming it."""
    validate(schemas.validator(schemas.act_query), dict.fromkeys(params),
             QUERY, noun='query parameter')


def show_request(route_, params, max_servers):
    """Validate a status read (GET with ``?servers=``); return a Target.

    ``servers`` may be repeated: its values are joined with commas.
    """
    query = dict.fromkeys(params)
    if 'servers' in params:
        query['servers'] = _items(','.join(params.getall('servers')))
    validate(schemas.validator(schemas.status_query, max_servers), query,
             QUERY, noun='query parameter')
    return base.Target(route_.tenant_id, route_.region,
                       tuple(dict.fromkeys(query['servers'])))


def validate(validator, instance, where, field=(), noun='field'):
    """Raise a BadRequest for the first rule ``instance`` breaks, if any.

    The first error in schema order is the one reported, so a list over
    its limit is refused before its items are checked.
    """
    error = next(validator.iter_errors(instance), None)
    if error is not None:
        raise exception.BadRequest(error_message(error, where, field, noun))


def error_message(error, where, field=(), noun='field'):
    """One sentence from a jsonschema error: field, value and rule.

    The field is named by its JSON path (``reboot.type``, ``servers[3]``)
    within ``where``; the value is escaped by quote.
    """
    path = tuple(field) + tuple(error.absolute_path)
    place = '%s in %s' % (quote(json_path(path)), where) if path else where
    subject = '%s %s' % (noun.capitalize(), place)
    value, rule = error.instance, error.schema
    expected = rule.get('description', 'allowed here')
    if error.validator == 'additionalProperties':
        known = list(rule.get('properties', ()))
        unknown = next(k for k in value if k not in known)
        return 'Unknown %s %s in %s; %s.' % (
            noun, quote(unknown), place, 'known: %s' % ', '.join(known)
            if known else 'it takes %s' % expected)
    if error.validator == 'required':
        missing = next(k for k in error.validator_value if k not in value)
        return 'Missing %s %s: %s.' % (
            noun, quote(json_path(path + (missing,))),
            rule['properties'][missing]['description'])
    if error.validator == 'maxItems':
        return ('%s names %d items; at most %d are allowed (counted before '
                'duplicates are dropped).'
                % (subject, len(value), error.validator_value))
    if value == '' or value == []:
        return '%s is empty; expected %s.' % (subject, expected)
    return '%s: %s is not %s.' % (subject, _shown(value), expected)


def json_path(path):
    """``('servers', 3)`` as ``servers[3]``, ``('reboot', 'type')`` ..."""
    return ''.join('[%d]' % part if isinstance(part, int) else '.' + part
                   for part in path).lstrip('.')


def _normalised(body):
    """The accepted forms made one: trimmed strings, ``servers`` a list."""
    body = dict(body)
    for field in ('tenant_id', 'region'):
        if isinstance(body.get(field), str):
            body[field] = body[field].strip()
    if 'servers' in body:
        body['servers'] = _items(body['servers'])
    reboot = body.get(base.REBOOT)
    if isinstance(reboot, dict) and isinstance(reboot.get('type'), str):
        body[base.REBOOT] = dict(reboot, type=reboot['type'].strip())
    return body


def _items(servers):
    """A comma-separated string split; every string item trimmed."""
    if isinstance(servers, str):
        servers = servers.split(',')
    if isinstance(servers, list):
        return [s.strip() if isinstance(s, str) else s for s in servers]
    return servers


def _action(body):
    """The one action a valid body names, with its options."""
    named = [k for k in base.ACTIONS if k in body]
    if not named:
        raise exception.BadRequest('No action in the request body: give '
                                   'exactly one of %s.'
                                   % ', '.join(base.ACTIONS))
    if len(named) > 1:
        raise exception.BadRequest('The request body names %d actions (%s); '
                                   'give exactly one.'
                                   % (len(named), ', '.join(named)))
    name = named[0]
    reboot_type = ((body[name] or {}).get('type', base.SOFT).upper()
                   if name == base.REBOOT else None)
    only_if_needed = body.get('only_if_needed', False)
    if only_if_needed and name == base.REBOOT:
        raise exception.BadRequest('Field "only_if_needed" applies to '
                                   'os-start and os-stop, not reboot.')
    return base.Action(name, reboot_type, only_if_needed,
                       float(body.get('wait', 0)))


def _merged(field, from_path, body):
    if field not in body:
        return from_path
    if from_path is not None and body[field] != from_path:
        raise exception.BadRequest(
            'Field %s is %s in the body but %s in the path.'
            % (quote(field), quote(body[field]), quote(from_path)))
    return body[field]


def _trimmed_object(pairs):
    obj = {}
    for key, value in pairs:
        key = key.strip()
        if key in obj:
            raise exception.BadRequest('Field %s appears twice in one JSON '
                                       'object.' % quote(key))
        obj[key] = value
    return obj


def _reject_constant(name):
    raise exception.BadRequest('Malformed JSON in the request body: %s is '
                               'not valid JSON.' % name)


def _shown(value):
    """``null``, or the value's JSON type and the value, escaped."""
    if value is None:
        return 'null'
    kind = next((name for types, name in JSON_TYPES
                 if isinstance(value, types)), 'object')
    return 'the %s %s' % (kind, quote(value))
