"""The vm_act app: parse -> validate -> authorize -> dispatch -> render.

The filters in front of it have already authenticated the caller and
chosen the agent's backend (the environ keys of
:mod:`vmact.api.middleware`). This module only wires the API's pieces
together: :mod:`vmact.api.request` parses and validates,
:mod:`vmact.policy` authorizes, the backend acts, :mod:`vmact.api.results`
renders. An action asked as a job (``"async": true``, ``Prefer:
respond-async``) is written by :mod:`vmact.api.jobs` instead, which also
serves ``/mana_api/jobs``; :mod:`vmact.api.idempotency` answers a POST
with a known ``Idempotency-Key``.
"""

import dataclasses

from oslo_db import exception as db_exc
from oslo_log import log as logging
from sqlalchemy import exc as sa_exc
import webob.dec

from vmact.api import fleet
from vmact.api import idempotency
from vmact.api import job_request
from vmact.api import jobs
from vmact.api import middleware
from vmact.api import rate_sync
from vmact.api import request
from vmact.api import results
from vmact.api import waiting
from vmact.backends import base
from vmact import conf as vmact_conf
from vmact.db import api as db
from vmact.db import migration
from vmact import exception
from vmact.jobs import waves
from vmact import metrics
from vmact.policies import vm_act as vm_act_policies
from vmact import policy

LOG = logging.getLogger(__name__)

RULE_BY_ACTION = {base.START: vm_act_policies.START,
                  base.STOP: vm_act_policies.STOP,
                  base.REBOOT: vm_act_policies.REBOOT}


class VmActApp(object):
    """Serve ``/mana_api/vm_act`` and its path forms."""

    def __init__(self, conf):
        self.conf = conf
        self.waiting = waiting.from_conf(conf)
        self.engine_started = False
        db.configure(conf)
        if conf.database.sync_on_startup:
            self.sync_schema()

    def sync_schema(self):
        """``[database] sync_on_startup``; a database error is logged.

        The service starts anyway: actions now need no database, and jobs
        answer 503 until it can be reached (and synced).
        """
        try:
            migration.upgrade(self.conf)
        except (db_exc.DBError, sa_exc.DBAPIError) as e:
            LOG.error('[database] sync_on_startup: the jobs database could '
                      'not be brought up to date (%s: %s); jobs answer 503 '
                      'until it can', type(e).__name__,
                      exception.quote(str(e), 300))

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            path = request.wsgi_path(req.environ)
            route = job_request.route(path) or request.route(path)
            if route is None:
                raise exception.NotFound('No such resource: %s.'
                                         % exception.quote(path))
            if req.method not in route.methods:
                response = results.error_response(
                    405, 'Method %s is not allowed here; allowed: %s.'
                    % (exception.quote(req.method), ', '.join(route.methods)))
                response.allow = route.methods
                return response
            ctx = req.environ[middleware.CONTEXT_KEY]
            if not self.engine_started:
                self.engine_started = True
                jobs.start_local_engine(
                    self.conf, req.environ.get(middleware.AGENTS_KEY))
            if isinstance(route, job_request.JobRoute):
                req.environ[metrics.ACTION_KEY] = 'jobs'
                return jobs.serve(self.conf, req, route, ctx)
            backend = req.environ[middleware.BACKEND_KEY]
            if req.method == 'GET':
                req.environ[metrics.ACTION_KEY] = 'show'
                return self.show(req, route, ctx, backend)
            return self.act(req, route, ctx, backend)
        except exception.VmactError as e:
            return results.error_response(e.code, e.msg)

    def act(self, req, route, ctx, backend):
        request.check_act_query(request.query_params(req))
        key = idempotency.key_of(req)
        body = request.parse_body(read_body(req))
        prefer_async = job_request.prefers_async(req.headers)
        as_job = prefer_async or body.get('async') is True
        max_servers = self.conf.jobs.max_servers_per_job
        if not as_job:
            job_request.check_sync_count(
                body, self.conf.api.max_servers_per_request, max_servers)
            max_servers = self.conf.api.max_servers_per_request
        fleet_opts = fleet.options(route, body, req.headers, as_job)
        if fleet_opts.selector is None:
            parsed = request.act_request(route, body, max_servers,
                                         self.conf.api.max_wait)
        else:
            parsed = fleet.selection_request(route, body,
                                             self.conf.api.max_wait)
        req.environ[metrics.ACTION_KEY] = parsed.action.name
        parsed = dataclasses.replace(parsed, action=rate_sync.grace_of(
            parsed.action, body, self.conf.jobs.max_grace,
            self.conf.jobs.default_grace))
        job_waves = waves.from_body(body, as_job,
                                    self.conf.jobs.max_wave_pause)
        policy.authorize(ctx, RULE_BY_ACTION[parsed.action.name],
                         parsed.target.tenant_id)
        claim = None
        if key is not None:
            claim, answer = idempotency.begin(
                key, parsed.target.tenant_id, req.method,
                request.wsgi_path(req.environ), backend.agent, body)
            if answer is not None:
                return answer
        try:
            if fleet_opts.selector is not None:
                parsed = fleet.resolve(ctx, backend, parsed, fleet_opts,
                                       max_servers, as_job)
            if not parsed.target.servers:
                response = fleet.nothing_selected()
            elif fleet_opts.dry_run:
                response = fleet.plan_response(
                    backend.plan(ctx, parsed.target, parsed.action))
            elif as_job:
                response = jobs.create(self.conf, req, ctx, backend, parsed,
                                       prefer_async, claim, job_waves)
            else:
                response = self.act_now(ctx, backend, parsed, fleet_opts)
        except BaseException:
            if claim is not None:
                claim.release()
            raise
        if claim is not None:
            claim.finish(response)
        return response

    def act_now(self, ctx, backend, parsed, fleet_opts=fleet.Fleet()):
        """Act within this request: the batch result."""
        target, action = parsed.target, parsed.action
        send = rate_sync.Sender(self.conf, backend, ctx, target.region)
        try:
            with self.waiting.slot(action.wait + (action.grace or 0)):
                previous = (backend.show(ctx, target)
                            if fleet_opts.representation else None)
                with metrics.backend_call(backend.agent, target.region,
                                          'act'):
                    sent, escalated = rate_sync.act(ctx, backend, target,
                                                    action, send)
                outcomes = backend.wait(ctx, target, action, sent)
        except (waiting.TooManyWaiting, rate_sync.RateLimited) as e:
            response = results.error_response(e.code, e.msg)
            response.retry_after = e.retry_after
            return response
        metrics.count_outcomes(backend.agent, action.name, outcomes)
        for outcome in outcomes:
            LOG.info('audit: request_id=%(req)s user=%(user)s '
                     'project=%(project)s agent=%(agent)s region=%(region)s '
                     'tenant=%(tenant)s server=%(server)s action=%(action)s '
                     'outcome=%(code)d %(msg)s',
                     {'req': ctx.request_id, 'user': ctx.user_id,
                      'project': ctx.project_id, 'agent': backend.agent,
                      'region': target.region, 'tenant': target.tenant_id,
                      'server': outcome.server, 'action': action,
                      'code': outcome.code,
                      'msg': exception.quote(outcome.msg, 200)})
        return rate_sync.with_escalated(fleet.render(
            fleet_opts, ctx, backend, target, sent, outcomes, previous,
            str(action)), escalated)

    def show(self, req, route, ctx, backend):
        target = request.show_request(route, request.query_params(req),
                                      self.conf.api.max_servers_per_request)
        policy.authorize(ctx, vm_act_policies.SHOW, target.tenant_id)
        with metrics.backend_call(backend.agent, target.region, 'show'):
            shown = backend.show(ctx, target)
        return results.status_response(shown)


def read_body(req):
    """The request body; a 400 when the client did not send all of it.

    webob raises DisconnectionError (an OSError) for a body shorter than
    its Content-Length, mod_wsgi OSError when Apache's read fails (client
    gone, or too slow for mod_reqtimeout).
    """
    try:
        return req.body
    except OSError as e:
        LOG.warning('Request body unreadable, answered 400: %s',
                    exception.quote(str(e), 200))
        raise exception.BadRequest('The request body could not be read '
                                   'whole: the client sent less than its '
                                   'Content-Length, or too slowly.')


def app_factory(global_conf, **local_conf):
    return VmActApp(vmact_conf.CONF)
