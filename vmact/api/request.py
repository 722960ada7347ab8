"""The contract's parsing and validation, as pure functions.

Everything a client sends is checked here before anything reaches a
backend: the path, the JSON body, the action, the server IDs. Each error
is a :class:`vmact.exception.BadRequest` that names the field and the
offending value, escaped by :func:`vmact.exception.quote`.
"""

import dataclasses
import json
import re
import typing

from vmact.backends import base
from vmact import exception
from vmact.exception import quote

PREFIX = '/mana_api/vm_act'
SERVER_ID = re.compile(r'[A-Za-z0-9_-]{1,64}')
TENANT_ID = SERVER_ID
REGION = re.compile(r'[A-Za-z0-9_.:-]{1,255}')

ACTION_KEYS = base.ACTIONS
OPTION_KEYS = ('only_if_needed', 'wait')
KNOWN_KEYS = ('tenant_id', 'region', 'servers') + ACTION_KEYS + OPTION_KEYS
REBOOT_TYPES = (base.HARD, base.SOFT)


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
    if len(parts) == 2:
        return Route(('GET', 'POST'), _tenant(parts[0]), _region(parts[1]))
    if len(parts) == 3:
        return Route(('POST',), _tenant(parts[0]), _region(parts[1]),
                     _server_id(parts[2], 'server_id'))
    return None


def wsgi_path(environ):
    """PATH_INFO as text; WSGI hands it over as latin-1 decoded bytes.

    A raw ``#`` in the request target is a 400: waitress and Apache drop
    it and what follows from PATH_INFO, which would leave a truncated
    server ID to act on. The target as sent is in REQUEST_URI (waitress,
    mod_wsgi) or RAW_URI (gunicorn).
    """
    target = environ.get('REQUEST_URI', environ.get('RAW_URI', ''))
    if '#' in target:
        raise exception.BadRequest(
            'The request target %s contains a raw "#"; send it '
            'percent-encoded (%%23), or leave the fragment out.'
            % quote(target))
    try:
        return environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
    except UnicodeError:
        raise exception.BadRequest('The request path is not valid UTF-8.')


def parse_body(raw):
    """Decode the body as one JSON object, whatever the Content-Type.

    Keys are trimmed (the seed writes ``'os-stop '``); a key that appears
    twice after trimming is an error rather than a silent overwrite.
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
                                   'not %s.' % _json_type(body))
    return body


def act_request(route_, body, max_servers, max_wait):
    """Validate a POST body against its route; return an ActRequest."""
    unknown = [k for k in body if k not in KNOWN_KEYS]
    if unknown:
        raise exception.BadRequest(
            'Unknown field %s in the request body; known fields: %s.'
            % (quote(unknown[0]), ', '.join(KNOWN_KEYS)))
    tenant_id = _merge('tenant_id', route_.tenant_id, body, _tenant)
    region = _merge('region', route_.region, body, _region)
    if 'servers' in body:
        servers = parse_servers(body['servers'], max_servers)
        if route_.server_id and route_.server_id not in servers:
            raise exception.BadRequest(
                'The path names server %s, which is not among "servers".'
                % quote(route_.server_id))
    elif route_.server_id:
        servers = (route_.server_id,)
    else:
        raise exception.BadRequest('Missing field "servers": a comma-'
                                   'separated string or a list of server '
                                   'IDs.')
    action = parse_action(body, max_wait)
    return ActRequest(base.Target(tenant_id, region, servers), action)


def query_params(req):
    """The query string's parameters; a 400 when it is not UTF-8."""
    try:
        return req.GET
    except UnicodeError:
        raise exception.BadRequest('The query string is not valid UTF-8.')


def check_act_query(params):
    """An action takes no query parameter: each one is a 400 naming it."""
    if params:
        raise exception.BadRequest('Unknown query parameter %s; an action '
                                   'takes none (its options go in the '
                                   'body).' % quote(next(iter(params))))


def show_request(route_, params, max_servers):
    """Validate a status read (GET with ``?servers=``); return a Target."""
    unknown = [k for k in params if k != 'servers']
    if unknown:
        raise exception.BadRequest('Unknown query parameter %s; the status '
                                   'read takes only "servers".'
                                   % quote(unknown[0]))
    values = params.getall('servers')
    if not values:
        raise exception.BadRequest('Missing query parameter "servers": a '
                                   'comma-separated list of server IDs.')
    servers = parse_servers(','.join(values), max_servers)
    return base.Target(route_.tenant_id, route_.region, servers)


def parse_servers(value, max_servers):
    """Split, trim, validate and de-duplicate server IDs, keeping order."""
    if isinstance(value, str):
        items = value.split(',')
    elif isinstance(value, list):
        items = value
        for item in items:
            if not isinstance(item, str):
                raise exception.BadRequest(
                    'Field "servers" must list strings; found %s %s.'
                    % (_json_type(item), quote(item)))
    else:
        raise exception.BadRequest(
            'Field "servers" must be a comma-separated string or a list of '
            'strings, not %s.' % _json_type(value))
    if len(items) > max_servers:
        raise exception.BadRequest(
            'Field "servers" names %d servers; at most %d are allowed per '
            'request.' % (len(items), max_servers))
    if not items:
        raise exception.BadRequest('Field "servers" names no server.')
    servers = {}
    for position, item in enumerate(items, 1):
        item = item.strip()
        if not item:
            raise exception.BadRequest(
                'Field "servers" has an empty item at position %d.'
                % position)
        servers.setdefault(_server_id(item, 'servers'), None)
    return tuple(servers)


def parse_action(body, max_wait):
    """Return the one action the body names, with its options."""
    named = [k for k in ACTION_KEYS if k in body]
    if not named:
        raise exception.BadRequest('No action in the request body: give '
                                   'exactly one of %s.'
                                   % ', '.join(ACTION_KEYS))
    if len(named) > 1:
        raise exception.BadRequest('The request body names %d actions (%s); '
                                   'give exactly one.'
                                   % (len(named), ', '.join(named)))
    name = named[0]
    value = body[name]
    reboot_type = None
    if name == base.REBOOT:
        reboot_type = _reboot_type(value)
    elif value not in (None, {}):
        raise exception.BadRequest('Action %s takes null or {}, not %s.'
                                   % (quote(name), quote(value)))
    only_if_needed = body.get('only_if_needed', False)
    if not isinstance(only_if_needed, bool):
        raise exception.BadRequest('Field "only_if_needed" must be true or '
                                   'false, not %s.' % quote(only_if_needed))
    if only_if_needed and name == base.REBOOT:
        raise exception.BadRequest('Field "only_if_needed" applies to '
                                   'os-start and os-stop, not reboot.')
    wait = body.get('wait', 0)
    if (isinstance(wait, bool) or not isinstance(wait, (int, float))
            or not 0 <= wait <= max_wait):
        raise exception.BadRequest('Field "wait" must be a number of seconds '
                                   'from 0 to %g, not %s.'
                                   % (max_wait, quote(wait)))
    return base.Action(name, reboot_type, only_if_needed, float(wait))


def _reboot_type(value):
    if value is None or value == {}:
        return base.SOFT
    if not isinstance(value, dict):
        raise exception.BadRequest('Action "reboot" takes {"type": "HARD"} '
                                   'or {"type": "SOFT"}, not %s.'
                                   % quote(value))
    extra = [k for k in value if k != 'type']
    if extra:
        raise exception.BadRequest('Unknown field %s in "reboot"; it takes '
                                   'only "type".' % quote(extra[0]))
    kind = value['type']
    if not isinstance(kind, str) or kind.strip().upper() not in REBOOT_TYPES:
        raise exception.BadRequest('Field "reboot.type" must be HARD or SOFT, '
                                   'not %s.' % quote(kind))
    return kind.strip().upper()


def _merge(field, from_path, body, check):
    if field in body:
        value = body[field]
        if not isinstance(value, str):
            raise exception.BadRequest('Field %s must be a string, not %s.'
                                       % (quote(field), _json_type(value)))
        value = check(value.strip(), field)
        if from_path is not None and value != from_path:
            raise exception.BadRequest(
                'Field %s is %s in the body but %s in the path.'
                % (quote(field), quote(value), quote(from_path)))
        return value
    if from_path is None:
        raise exception.BadRequest('Missing field %s.' % quote(field))
    return from_path


def _server_id(value, field):
    if not SERVER_ID.fullmatch(value):
        raise exception.BadRequest(
            'Invalid server ID %s in %s: use 1 to 64 characters of A-Z, '
            'a-z, 0-9, "_" and "-".' % (quote(value), quote(field)))
    return value


def _tenant(value, field='tenant_id'):
    if not TENANT_ID.fullmatch(value):
        raise exception.BadRequest(
            'Invalid %s %s: use 1 to 64 characters of A-Z, a-z, 0-9, "_" '
            'and "-".' % (field, quote(value)))
    return value


def _region(value, field='region'):
    if not REGION.fullmatch(value):
        raise exception.BadRequest(
            'Invalid %s %s: use 1 to 255 characters of A-Z, a-z, 0-9 and '
            '"_.:-".' % (field, quote(value)))
    return value


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


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, list):
        return 'an array'
    return 'an object'
