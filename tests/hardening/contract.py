"""An independent model of the contract's request rules, for the fuzzers.

Written from ``/work/shared/api-contract.md`` rather than from
``vmact/api/request.py``, so that a disagreement between the two is a
finding. :func:`classify` says whether a POST would be accepted for
dispatch and, if so, to which tenant, region, servers and action.
"""

import dataclasses
import json
import string
import typing

PREFIX = '/mana_api/vm_act'
ID_CHARS = frozenset(string.ascii_letters + string.digits + '_-')
REGION_CHARS = ID_CHARS | frozenset('.:')
ACTIONS = ('os-start', 'os-stop', 'reboot')
KNOWN_KEYS = ('tenant_id', 'region', 'servers') + ACTIONS + (
    'only_if_needed', 'wait')
TARGET_STATUS = {'os-start': 'ACTIVE', 'os-stop': 'SHUTOFF',
                 'reboot': 'ACTIVE'}


class Invalid(Exception):
    """The request breaks a rule of the contract (a 400)."""


class NotFound(Exception):
    """The path is none of the contract's (a 404)."""


@dataclasses.dataclass(frozen=True)
class Valid:
    """What a well-formed request asks for."""

    tenant_id: str
    region: str
    servers: typing.Tuple[str, ...]
    action: str
    only_if_needed: bool

    @property
    def target_status(self):
        return TARGET_STATUS[self.action]


def is_id(value):
    return isinstance(value, str) and 1 <= len(value) <= 64 and \
        set(value) <= ID_CHARS


def is_region(value):
    return isinstance(value, str) and 1 <= len(value) <= 255 and \
        set(value) <= REGION_CHARS


def check_target(target):
    """The request target as sent: an encoded "/" in its path is Invalid.

    Servers decode ``%2F`` into PATH_INFO, where it would split a value.
    """
    if '%2f' in target.partition('?')[0].lower():
        raise Invalid('encoded slash in the path')


def route(path_info):
    """(tenant, region, server_id) from a PATH_INFO; NotFound or Invalid."""
    if path_info.endswith('/') and path_info != '/':
        path_info = path_info[:-1]
    if path_info == PREFIX:
        return None, None, None
    if not path_info.startswith(PREFIX + '/'):
        raise NotFound(path_info)
    parts = path_info[len(PREFIX) + 1:].split('/')
    if len(parts) not in (2, 3):
        raise NotFound(path_info)
    if not is_id(parts[0]) or not is_region(parts[1]):
        raise Invalid('path tenant or region')
    if len(parts) == 3:
        if not is_id(parts[2]):
            raise Invalid('path server id')
        return parts[0], parts[1], parts[2]
    return parts[0], parts[1], None


def parse(raw):
    """The body as a dict with trimmed keys, or Invalid."""
    def pairs_hook(pairs):
        obj = {}
        for key, value in pairs:
            key = key.strip()
            if key in obj:
                raise Invalid('duplicate key')
            obj[key] = value
        return obj

    def no_constants(name):
        raise Invalid(name)

    try:
        body = json.loads(raw.decode('utf-8'), object_pairs_hook=pairs_hook,
                          parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Invalid('not JSON')
    if not isinstance(body, dict):
        raise Invalid('not an object')
    return body


def classify(path_info, raw, max_servers=500, max_wait=10):
    """Valid(...) for an acceptable POST; raises Invalid or NotFound."""
    path_tenant, path_region, path_server = route(path_info)
    body = parse(raw)
    if set(body) - set(KNOWN_KEYS):
        raise Invalid('unknown key')
    tenant = _merged(body, 'tenant_id', path_tenant, is_id)
    region = _merged(body, 'region', path_region, is_region)
    if 'servers' in body:
        servers = _servers(body['servers'], max_servers)
        if path_server is not None and path_server not in servers:
            raise Invalid('path server not among servers')
    elif path_server is not None:
        servers = (path_server,)
    else:
        raise Invalid('no servers')
    named = [k for k in ACTIONS if k in body]
    if len(named) != 1:
        raise Invalid('not exactly one action')
    action = named[0]
    value = body[action]
    if action == 'reboot':
        if value is not None and value != {}:
            if not isinstance(value, dict) or set(value) != {'type'}:
                raise Invalid('reboot value')
            kind = value['type']
            if not isinstance(kind, str) or \
                    kind.strip().upper() not in ('HARD', 'SOFT'):
                raise Invalid('reboot type')
    elif value is not None and value != {}:
        raise Invalid('action value')
    only = body.get('only_if_needed', False)
    if not isinstance(only, bool) or (only and action == 'reboot'):
        raise Invalid('only_if_needed')
    wait = body.get('wait', 0)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or \
            not 0 <= wait <= max_wait:
        raise Invalid('wait')
    return Valid(tenant, region, servers, action, only)


def _merged(body, field, from_path, check):
    if field not in body:
        if from_path is None:
            raise Invalid('missing %s' % field)
        return from_path
    value = body[field]
    if not isinstance(value, str) or not check(value.strip()):
        raise Invalid(field)
    if from_path is not None and value.strip() != from_path:
        raise Invalid('%s differs from the path' % field)
    return value.strip()


def _servers(value, max_servers):
    if isinstance(value, str):
        items = value.split(',')
    elif isinstance(value, list) and all(isinstance(i, str) for i in value):
        items = value
    else:
        raise Invalid('servers type')
    if not items or len(items) > max_servers:
        raise Invalid('servers count')
    found = []
    for item in items:
        item = item.strip()
        if not is_id(item):
            raise Invalid('server id')
        if item not in found:
            found.append(item)
    return tuple(found)
