"""The jobs API: create a job from a validated action; show, list, cancel.

A job is written whole (its row, one row per server, and the
``Idempotency-Key``'s answer when one was sent) in one transaction, then
handed to the engines (:func:`vmact.jobs.rpc.submitted`); the 202 says
where to read it. In token mode the trust it acts with is created first,
and deleted again when the job cannot be written. A job of another
tenant is a 404 in the same words as an unknown one, unless the caller
may read that tenant's jobs. The database unreachable: 503, nothing done.
doc/source/api-rules.rst, "Jobs".
"""

import contextlib
import datetime
import json
import urllib.parse

from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils
from sqlalchemy import exc as sa_exc

from vmact.api import job_request
from vmact.api import middleware
from vmact.api import request
from vmact.api import results
from vmact.api import schemas
from vmact.backends import base
from vmact.db import api as db
from vmact.db import models
from vmact import exception
from vmact.exception import quote
from vmact.jobs import trusts
from vmact.policies import jobs as job_policies
from vmact import policy

LOG = logging.getLogger(__name__)

SERVER_RULE = schemas.Validator(schemas.SERVER_ID)


class DatabaseUnavailable(exception.VmactError):
    code = 503


@contextlib.contextmanager
def database(doing):
    """Turn database errors into a 503 that says what was not done.

    oslo.db's, and SQLAlchemy's own DBAPIError: a connection refused while
    the pool checks one out reaches here unwrapped by oslo.db's filters.
    """
    try:
        yield
    except (db_exc.DBError, sa_exc.DBAPIError) as e:
        LOG.error('Jobs database error while %s: %s: %s', doing,
                  type(e).__name__, quote(str(e), 300))
        raise DatabaseUnavailable(
            'The jobs database could not be reached while %s; try again '
            'later.' % doing)


def location(req, job_id):
    """The job's path, under the application's SCRIPT_NAME."""
    return '%s%s/%s' % (req.script_name, job_request.PREFIX, job_id)


def create(conf, req, ctx, backend, parsed, prefer_applied, claim=None,
           waves=None):
    """Write a job for ``parsed`` and hand it to the engines: the 202.

    :param claim: the request's held ``Idempotency-Key``
        (:class:`vmact.api.idempotency.Claim`), completed with the 202 in
        the job's own transaction.
    :param waves: the request's :class:`vmact.jobs.waves.Waves`, or None.
    """
    target, action = parsed.target, parsed.action
    job_id = uuidutils.generate_uuid()
    now = timeutils.utcnow()
    deadline = now + datetime.timedelta(seconds=conf.jobs.max_duration)
    trust_id = None
    if getattr(backend, 'acts_as_caller', False):
        trust_id = trusts.create(conf, ctx, target.tenant_id, deadline)
    job = {'id': job_id, 'tenant_id': target.tenant_id,
           'region': target.region, 'agent': backend.agent,
           'action': action.name, 'reboot_type': (
               base.SOFT if action.grace is not None else action.reboot_type),
           'grace': action.grace, 'waves': waves and waves.to_json(),
           'only_if_needed': action.only_if_needed, 'wait': action.wait,
           'user_id': ctx.user_id, 'project_id': ctx.project_id,
           'roles': ','.join(ctx.roles or ()),
           'request_id': ctx.request_id, 'trust_id': trust_id,
           'deadline': deadline, 'created_at': now}
    body = {'job_id': job_id, 'status': 'INIT'}
    headers = {'Location': location(req, job_id)}
    if prefer_applied:
        headers['Preference-Applied'] = job_request.RESPOND_ASYNC
    response = results.json_response(202, body)
    response.headers.update(headers)
    try:
        with database('writing the job'):
            db.create_job(job, list(target.servers), claim and claim.done(
                202, response), same_as=_same_servers(backend, target),
                wave_size=waves and waves.size)
    except db.DuplicateKey:
        if trust_id is not None:
            trusts.delete(conf, trust_id)
        raise exception.VmactError(
            'The Idempotency-Key was released by another request meanwhile; '
            'nothing was done: send the request again.', 409)
    except BaseException:
        if trust_id is not None:
            trusts.delete(conf, trust_id)
        raise
    LOG.info('audit: request_id=%(req)s user=%(user)s project=%(project)s '
             'agent=%(agent)s region=%(region)s tenant=%(tenant)s '
             'action=%(action)s job=%(job)s servers=%(count)d',
             {'req': ctx.request_id, 'user': ctx.user_id,
              'project': ctx.project_id, 'agent': backend.agent,
              'region': target.region, 'tenant': target.tenant_id,
              'action': action, 'job': job_id,
              'count': len(target.servers)})
    _submit(conf, job_id, req.environ.get(middleware.AGENTS_KEY))
    return response


def _same_servers(backend, target):
    """{ID: the first ID of the same server} for the later spellings."""
    first, same = {}, {}
    for server in target.servers:
        key = backend.server_key(server)
        if key in first:
            same[server] = first[key]
        else:
            first[key] = server
    return same


def start_local_engine(conf, agents):
    """Without a transport URL, start this process's engine now.

    Called on the process's first request, so jobs an earlier process
    left unfinished are taken over without waiting for a new job.
    """
    try:
        from vmact.jobs import engine
        from vmact.jobs import rpc
        if rpc.transport_url(conf) is None:
            engine.local_engine(conf, agents)
    except Exception as e:
        LOG.warning('The in-process job engine did not start (%s: %s); '
                    'it is tried again with the next job', type(e).__name__,
                    quote(str(e), 200))


def _submit(conf, job_id, agents):
    """Hand the job to the engines; a failure leaves it to their scan.

    :param agents: the pipeline's backends (``environ['vmact.agents']``),
        so that an in-process engine acts through the same drivers.
    """
    try:
        from vmact.jobs import rpc
        rpc.submitted(conf, job_id, agents=agents)
    except Exception as e:
        LOG.warning('Job %s written but not handed to an engine (%s: %s); '
                    'the engines\' scan picks it up', job_id,
                    type(e).__name__, quote(str(e), 200))


def serve(conf, req, route, ctx):
    """GET or DELETE on a jobs path."""
    params = request.query_params(req)
    if route.job_id is None:
        return list_jobs(conf, req, ctx, params)
    if req.method == 'DELETE':
        return cancel(conf, req, ctx, route.job_id, params)
    return show(conf, req, ctx, route.job_id, params)


def show(conf, req, ctx, job_id, params):
    page = job_request.job_page(params, conf.jobs)
    if page.marker is not None:
        request.validate(SERVER_RULE, page.marker, request.QUERY,
                         ('marker',), noun='query parameter')
    with database('reading the job'):
        job = visible_job(ctx, job_id, job_policies.SHOW)
        after = None
        if page.marker is not None:
            after = db.server_idx(job_id, page.marker)
            if after is None:
                raise exception.BadRequest(
                    'Query parameter "marker" is %s, which is not a server '
                    'of this job.' % quote(page.marker))
        rows = db.job_servers(job_id, page.limit + 1, after)
        counts = db.job_counts(job_id)
    body = representation(job, counts)
    body['servers'] = [{'id': row['server_id'], 'state': row['state'],
                        'code': row['code'], 'msg': row['msg'],
                        'updated_at': iso(row['updated_at']),
                        **_opted_in(job, row)}
                       for row in rows[:page.limit]]
    if len(rows) > page.limit:
        body['next'] = _link(location(req, job_id), limit=page.limit,
                             marker=rows[page.limit - 1]['server_id'])
    return results.json_response(200, body)


def list_jobs(conf, req, ctx, params):
    tenant_id, status, page = job_request.list_query(params, conf.jobs)
    tenant_id = tenant_id or ctx.project_id
    if not tenant_id:
        raise exception.BadRequest('Query parameter "tenant_id" is needed: '
                                   'the token is scoped to no project.')
    policy.authorize(ctx, job_policies.LIST, tenant_id)
    marker = page.marker and page.marker.lower()
    with database('listing jobs'):
        try:
            rows = db.list_jobs(tenant_id, status, page.limit + 1, marker)
        except db.MarkerNotFound:
            raise exception.BadRequest(
                'Query parameter "marker" is %s, which is not a job of this '
                'listing.' % quote(page.marker))
    body = {'jobs': [representation(row) for row in rows[:page.limit]]}
    if len(rows) > page.limit:
        query = {'tenant_id': tenant_id, 'limit': page.limit}
        if status:
            query['status'] = status
        body['next'] = _link(req.script_name + job_request.PREFIX,
                             marker=rows[page.limit - 1]['id'], **query)
    return results.json_response(200, body)


def cancel(conf, req, ctx, job_id, params):
    request.validate(schemas.validator(schemas.act_query),
                     dict.fromkeys(params), request.QUERY,
                     noun='query parameter')
    with database('cancelling the job'):
        job = visible_job(ctx, job_id, job_policies.CANCEL)
        cancelled = db.request_cancel(job_id)
        job = db.get_job(job_id)
        counts = db.job_counts(job_id)
    LOG.info('audit: request_id=%(req)s user=%(user)s project=%(project)s '
             'tenant=%(tenant)s job=%(job)s cancel: %(n)d servers cancelled',
             {'req': ctx.request_id, 'user': ctx.user_id,
              'project': ctx.project_id, 'tenant': job['tenant_id'],
              'job': job_id, 'n': cancelled})
    return results.json_response(202, representation(job, counts))


def visible_job(ctx, job_id, rule):
    """The job, if ``ctx`` may apply ``rule`` to it.

    Unknown, or of a tenant whose jobs the caller may not read: the same
    404. A job the caller may read but not apply ``rule`` to: 403.
    """
    job = db.get_job(job_id)
    if job is None:
        raise _not_found(job_id)
    try:
        policy.authorize(ctx, rule, job['tenant_id'])
    except exception.Forbidden:
        if rule != job_policies.SHOW and _allowed(ctx, job_policies.SHOW,
                                                  job['tenant_id']):
            raise
        raise _not_found(job_id)
    return job


def representation(job, counts=None):
    """A job as the API shows it (without its servers)."""
    if job['action'] == base.REBOOT and job.get('grace') is not None:
        action = {base.REBOOT: {'type': base.SOFT_FIRST,
                                'grace': job['grace']}}
    elif job['action'] == base.REBOOT:
        action = {base.REBOOT: {'type': job['reboot_type']}}
    else:
        action = {job['action']: None}
    body = {'job_id': job['id'], 'tenant_id': job['tenant_id'],
            'region': job['region'], 'agent': job['agent'],
            'action': action, 'only_if_needed': bool(job['only_if_needed']),
            'wait': job['wait'], 'status': job['status'],
            'cancel_requested': bool(job['cancel_requested']),
            'user_id': job['user_id'], 'request_id': job['request_id'],
            'server_count': job['server_count'],
            'created_at': iso(job['created_at']),
            'updated_at': iso(job['updated_at']),
            'finished_at': iso(job['finished_at'])}
    if job.get('waves'):
        body['waves'] = json.loads(job['waves'])
    if counts is not None:
        body['counts'] = {state: counts.get(state, 0)
                          for state in models.SERVER_STATES}
    return body


def _opted_in(job, row):
    """A server's ``wave`` (waves) and ``escalated`` (SOFT_FIRST)."""
    shown = {}
    if job.get('waves'):
        shown['wave'] = row['wave']
    if job.get('grace') is not None:
        shown['escalated'] = bool(row['escalated'])
    return shown


def iso(value):
    """A naive UTC datetime in ISO 8601 with ``Z``; None stays None."""
    if value is None:
        return None
    return value.isoformat(timespec='microseconds') + 'Z'


def _allowed(ctx, rule, tenant_id):
    try:
        policy.authorize(ctx, rule, tenant_id)
    except exception.Forbidden:
        return False
    return True


def _not_found(job_id):
    return exception.NotFound('No such job: %s.' % quote(job_id))


def _link(path, **query):
    return '%s?%s' % (path, urllib.parse.urlencode(sorted(query.items())))
