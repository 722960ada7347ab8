"""Parse what the jobs API takes: its paths, queries, and ``Prefer``.

``/mana_api/jobs`` lists jobs, ``/mana_api/jobs/{job_id}`` shows or
cancels one; a job ID that is not a UUID is a 400 naming it, as a bad
server ID is. Paging: ``limit`` (1 to ``[jobs] max_page_size``, default
``[jobs] page_size``) and ``marker`` (a server ID of the job on a read, a
job ID on a list). The rules as clients see them:
doc/source/api-rules.rst, "Jobs".
"""

import dataclasses
import typing

from oslo_utils import uuidutils

from vmact.api import request
from vmact.api import schemas
from vmact import exception
from vmact.exception import quote

PREFIX = '/mana_api/jobs'
RESPOND_ASYNC = 'respond-async'
STATUSES = ('INIT', 'RUNNING', 'SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED')
TENANT_RULE = schemas.Validator(schemas.TENANT_ID)


@dataclasses.dataclass(frozen=True)
class JobRoute:
    """A jobs path: the list (``job_id`` None) or one job."""

    methods: typing.Tuple[str, ...]
    job_id: typing.Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Page:
    limit: int
    marker: typing.Optional[str] = None


def route(path):
    """Match a jobs path, or None when ``path`` is not one.

    One trailing slash is tolerated; a job ID that is not a UUID is a
    400 naming it.
    """
    if path.endswith('/') and path != '/':
        path = path[:-1]
    if path == PREFIX:
        return JobRoute(('GET',))
    if not path.startswith(PREFIX + '/'):
        return None
    job_id = path[len(PREFIX) + 1:]
    if '/' in job_id:
        return None
    if not uuidutils.is_uuid_like(job_id):
        raise exception.BadRequest('Job ID %s in the path is not a job ID: '
                                   'expected a UUID.' % quote(job_id))
    return JobRoute(('GET', 'DELETE'), job_id.lower())


def prefers_async(headers):
    """Whether a ``Prefer`` header asks ``respond-async`` (RFC 7240).

    Preferences are comma-separated (WSGI joins repeated header fields
    with commas), each a token with an optional value and parameters
    after ``;``; the token is matched in any letter case.
    """
    for preference in (headers.get('Prefer') or '').split(','):
        token = preference.split(';', 1)[0].split('=', 1)[0]
        if token.strip().lower() == RESPOND_ASYNC:
            return True
    return False


def check_sync_count(body, max_per_request, max_per_job):
    """A synchronous request over its limit: a 400 that says ``async``."""
    servers = body.get('servers')
    if isinstance(servers, str):
        count = len(servers.split(','))
    elif isinstance(servers, list):
        count = len(servers)
    else:
        return
    if count > max_per_request:
        raise exception.BadRequest(
            'Field "servers" in the request body names %d items; a '
            'synchronous request may name at most %d (counted before '
            'duplicates are dropped). Send "async": true to run it as a '
            'job of up to %d servers.' % (count, max_per_request,
                                          max_per_job))


def job_page(params, jobs_conf):
    """A job read's query: its servers' page."""
    _known(params, schemas.job_query)
    return _page(params, jobs_conf)


def list_query(params, jobs_conf):
    """A job list's query: (tenant_id or None, status or None, Page)."""
    _known(params, schemas.jobs_query)
    tenant_id = _single(params, 'tenant_id')
    if tenant_id is not None:
        request.validate(TENANT_RULE, tenant_id,
                         request.QUERY, ('tenant_id',),
                         noun='query parameter')
    status = _single(params, 'status')
    if status is not None:
        status = status.strip().upper()
        if status not in STATUSES:
            raise exception.BadRequest(
                'Query parameter "status" is %s; expected one of %s.'
                % (quote(params['status']), ', '.join(STATUSES)))
    page = _page(params, jobs_conf)
    if page.marker is not None and not uuidutils.is_uuid_like(page.marker):
        raise exception.BadRequest('Query parameter "marker" is %s; expected '
                                   'a job ID (a UUID).' % quote(page.marker))
    return tenant_id, status, page


def _known(params, build):
    request.validate(schemas.validator(build), dict.fromkeys(params),
                     request.QUERY, noun='query parameter')


def _single(params, name):
    values = params.getall(name)
    if not values:
        return None
    if len(values) > 1:
        raise exception.BadRequest('Query parameter %s is given %d times; '
                                   'give it once.' % (quote(name),
                                                      len(values)))
    return values[0]


def _page(params, jobs_conf):
    limit = _single(params, 'limit')
    maximum = jobs_conf.max_page_size
    if limit is None:
        limit = min(jobs_conf.page_size, maximum)
    else:
        text = limit.strip()
        # Python refuses to parse more than 4300 digits (a 500).
        if not (text.isascii() and text.isdigit() and len(text) <= 18) \
                or not 1 <= int(text) <= maximum:
            raise exception.BadRequest(
                'Query parameter "limit" is %s; expected a whole number '
                'from 1 to %d.' % (quote(limit), maximum))
        limit = int(text)
    marker = _single(params, 'marker')
    if marker is not None and marker == '':
        raise exception.BadRequest('Query parameter "marker" is empty.')
    return Page(limit, marker)
