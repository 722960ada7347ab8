"""The request rules as JSON Schema, written once.

As in Nova's ``api/validation`` and Placement's ``schemas/``: each rule a
schema can say lives here, with the limits taken from ``[api]`` options by
the functions that build the schemas. The schemas describe a request
after :mod:`vmact.api.request` has normalised the accepted forms (keys and
string values trimmed, a comma-separated ``servers`` split into a list);
what no schema can say (exactly one action, path against body) stays
there. Every leaf has a ``description``: the error formatter tells the
client what the value must be in its words.

``doc/source/api/vm_act.yaml`` shows the same rules on the wire;
``tests/unit/api/test_schemas.py`` fails when the two disagree.
"""

import functools
import math
import re

import jsonschema

from vmact.backends import base

ID_RULE = '1 to 64 characters of A-Z, a-z, 0-9, "_" and "-"'

SERVER_ID = {
    'type': 'string',
    'pattern': '^[A-Za-z0-9_-]{1,64}$',
    'description': 'a server ID: ' + ID_RULE,
}

TENANT_ID = {
    'type': 'string',
    'pattern': '^[A-Za-z0-9_-]{1,64}$',
    'description': 'a tenant ID: ' + ID_RULE,
}

REGION = {
    'type': 'string',
    'pattern': '^[A-Za-z0-9_.:-]{1,255}$',
    'description': 'a region: 1 to 255 characters of A-Z, a-z, 0-9 and '
                   '"_.:-"',
}


def any_case(words):
    """A pattern matching exactly one of ``words``, in any letter case."""
    return '^(%s)$' % '|'.join(
        ''.join('[%s%s]' % (c.upper(), c.lower()) for c in word)
        for word in words)


NO_ARGUMENT = {
    'type': ['null', 'object'],
    'additionalProperties': False,
    'description': 'null or {}',
}

REBOOT = {
    'type': ['null', 'object'],
    'additionalProperties': False,
    'properties': {
        'type': {
            'type': 'string',
            'pattern': any_case((base.HARD, base.SOFT, base.SOFT_FIRST)),
            'description': 'HARD, SOFT or SOFT_FIRST, in any letter case',
        },
        'grace': {
            'type': 'number',
            'minimum': 1,
            'description': 'seconds (at least 1) a SOFT_FIRST reboot waits '
                           'before a HARD one',
        },
    },
    'description': '{"type": "HARD"}, {"type": "SOFT"} or {"type": '
                   '"SOFT_FIRST", "grace": S} (null or {} means SOFT)',
}

WAVES = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['size'],
    'properties': {
        'size': {'type': 'integer', 'minimum': 1,
                 'description': 'a whole number of servers, at least 1'},
        'pause': {'type': 'number', 'minimum': 0,
                  'description': 'seconds between two waves, at least 0'},
        'max_failures': {'type': 'integer', 'minimum': 0,
                         'description': 'a whole number of failed servers '
                                        'tolerated, at least 0'},
    },
    'description': '{"size": N, "pause": S, "max_failures": K} (async only)',
}

ONLY_IF_NEEDED = {
    'type': 'boolean',
    'description': 'true or false',
}

ASYNC = {
    'type': 'boolean',
    'description': 'true (run the action as a job: 202 with its job_id) '
                   'or false',
}


#: Nova's tag rule (``parameter_types.tag``).
TAG = {
    'type': 'string',
    'minLength': 1,
    'maxLength': 60,
    'pattern': '^[^,/]*$',
    'description': 'a tag: 1 to 60 characters, no "," or "/"',
}

#: The statuses Nova shows and filters on (``api/openstack/common.py``).
NOVA_STATUSES = ('ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT',
                 'MIGRATING', 'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD',
                 'RESCUE', 'RESIZE', 'REVERT_RESIZE', 'SHELVED',
                 'SHELVED_OFFLOADED', 'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED',
                 'VERIFY_RESIZE')


def _tags(what):
    return {'type': 'array', 'minItems': 1, 'maxItems': 50, 'items': TAG,
            'description': 'a list of 1 to 50 tags: ' + what}


SELECT = {
    'type': 'object',
    'additionalProperties': False,
    'minProperties': 1,
    'properties': {
        'tags': _tags('the servers have all of them'),
        'tags_any': _tags('the servers have at least one'),
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                 'description': 'a regular expression (Python syntax) of '
                                '1 to 255 characters, searched in the '
                                'server name'},
        'status': {'type': 'string', 'pattern': any_case(NOVA_STATUSES),
                   'description': 'a Nova status (%s), in any letter case'
                                  % ', '.join(NOVA_STATUSES)},
    },
    'description': 'an object with at least one of tags, tags_any, name '
                   'and status',
}

EXPECT_COUNT = {
    'type': 'integer',
    'minimum': 0,
    'description': 'a whole number from 0: how many servers "select" must '
                   'match',
}

DRY_RUN = {
    'type': 'boolean',
    'description': 'true (answer the plan, send nothing) or false',
}


def servers(max_servers):
    """Server IDs, at most ``[api] max_servers_per_request`` of them."""
    return {
        'type': 'array',
        'minItems': 1,
        'maxItems': max_servers,
        'items': SERVER_ID,
        'description': 'a comma-separated string or a list of server IDs',
    }


def wait(max_wait):
    """Seconds to follow the servers, at most ``[api] max_wait``."""
    return {
        'type': 'number',
        'minimum': 0,
        'maximum': max_wait,
        'description': 'a number of seconds from 0 to %g' % max_wait,
    }


def act_body(max_servers, max_wait, required=()):
    """An action's body; ``required`` names what the path does not give."""
    return {
        'type': 'object',
        'additionalProperties': False,
        'required': list(required),
        'properties': {
            'tenant_id': TENANT_ID,
            'region': REGION,
            'servers': servers(max_servers),
            base.START: NO_ARGUMENT,
            base.STOP: NO_ARGUMENT,
            base.REBOOT: REBOOT,
            'only_if_needed': ONLY_IF_NEEDED,
            'wait': wait(max_wait),
            'async': ASYNC,
            'waves': WAVES,
            'select': SELECT,
            'expect_count': EXPECT_COUNT,
            'dry_run': DRY_RUN,
        },
    }


def act_query():
    """An action's query string: empty."""
    return {
        'type': 'object',
        'additionalProperties': False,
        'description': "none: an action's options go in the body",
    }


def status_query(max_servers):
    """The status read's query string: ``servers`` and nothing else."""
    return {
        'type': 'object',
        'additionalProperties': False,
        'required': ['servers'],
        'properties': {'servers': servers(max_servers)},
    }


def job_query():
    """A job read's query string: paging of its servers."""
    return {
        'type': 'object',
        'additionalProperties': False,
        'properties': {'limit': {}, 'marker': {}},
    }


def jobs_query():
    """The job list's query string: tenant, status and paging."""
    return {
        'type': 'object',
        'additionalProperties': False,
        'properties': {'tenant_id': {}, 'status': {}, 'limit': {},
                       'marker': {}},
    }


@functools.lru_cache(maxsize=None)
def _regex(pattern):
    # ECMA-262's "$", which JSON Schema means, is the very end of the
    # string; Python's also matches before a final newline ("a\n").
    if pattern.endswith('$') and not pattern.endswith('\\$'):
        pattern = pattern[:-1] + r'\Z'
    return re.compile(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, 'string') and \
            not _regex(pattern).search(instance):
        yield jsonschema.ValidationError(
            '%r does not match %r' % (instance, pattern))


_ITEMS = jsonschema.Draft7Validator.VALIDATORS['items']


def _items(validator, items, instance, schema):
    # A list of IDs (10,000 in a job) checked by one regex per item; the
    # keyword-by-keyword walk only when some item fails, for its error.
    if (validator.is_type(instance, 'array') and isinstance(items, dict)
            and items.get('type') == 'string' and 'pattern' in items
            and set(items) <= {'type', 'pattern', 'description'}):
        regex = _regex(items['pattern'])
        if all(type(item) is str and regex.search(item)
               for item in instance):
            return
    yield from _ITEMS(validator, items, instance, schema)


def _finite_number(checker, instance):
    # NaN and infinity are not JSON numbers (the parser refuses them too).
    return (jsonschema.Draft7Validator.TYPE_CHECKER.is_type(instance,
                                                            'number')
            and not (isinstance(instance, float)
                     and not math.isfinite(instance)))


Validator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    validators={'pattern': _pattern, 'items': _items},
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
        'number', _finite_number))


@functools.lru_cache(maxsize=64)
def validator(build, *args):
    """A Validator of ``build(*args)``, built once per set of arguments."""
    return Validator(build(*args))
