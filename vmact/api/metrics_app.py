"""``GET /metrics``: the Prometheus exposition, for those policy allows.

Served behind the same authentication filters as the API (api-paste.ini,
``[composite:vmact_metrics]``), authorized by the rule
``vmact:metrics:read`` (default: admin), so no extra port or listener is
needed under Apache and nobody without a token reads it.
doc/source/metrics.rst says how to scrape it with a token.

Beside the counters every process writes (:mod:`vmact.metrics`), the
answering process reads the jobs database at each scrape:
``vmact_jobs{state}`` and ``vmact_job_queue_depth``.
"""

from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import timeutils
import sqlalchemy as sa
import webob
import webob.dec

from vmact.api import middleware
from vmact.api import results
from vmact import conf as vmact_conf
from vmact.conf import metrics as metrics_conf
from vmact.db import models
from vmact.db import session
from vmact import exception
from vmact import metrics
from vmact.policies import metrics as metrics_policies
from vmact import policy

LOG = logging.getLogger(__name__)

JOBS = models.JOBS


def job_figures(now=None):
    """({status: jobs}, unclaimed active jobs), two queries."""
    now = now or timeutils.utcnow()
    with session.reader() as s:
        by_status = dict(s.execute(
            sa.select(JOBS.c.status, sa.func.count())
            .group_by(JOBS.c.status)).all())
        queued = s.execute(
            sa.select(sa.func.count()).select_from(JOBS)
            .where(JOBS.c.status.in_(models.ACTIVE_STATUSES))
            .where(sa.or_(JOBS.c.engine_id.is_(None),
                          JOBS.c.lease_expires_at < now))).scalar()
    return by_status, queued


class JobsCollector(object):
    """``vmact_jobs{state}`` and ``vmact_job_queue_depth``, read per scrape.

    An unreachable database leaves both out (and logs why):
    ``vmact_jobs_up`` is then 0.
    """

    def collect(self):
        from prometheus_client import core
        up = core.GaugeMetricFamily(
            'vmact_jobs_up', '1 when the jobs database answered this '
            'scrape, else 0.')
        try:
            by_status, queued = job_figures()
        except db_exc.DBError as e:
            LOG.warning('Jobs metrics left out: the database did not '
                        'answer: %s', type(e).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = core.GaugeMetricFamily(
            'vmact_jobs', 'Jobs in the database, by state.',
            labels=['state'])
        for status in models.JOB_STATUSES:
            jobs.add_metric([status], by_status.get(status, 0))
        yield jobs
        yield core.GaugeMetricFamily(
            'vmact_job_queue_depth', 'Jobs INIT or RUNNING that no engine '
            'holds (unclaimed, or their lease expired).', value=queued)


class MetricsApp(object):
    """Answer GET (and HEAD) with the metrics, after the policy check."""

    def __init__(self, conf):
        self.conf = conf
        metrics_conf.register_opts(conf)
        metrics.setup(conf)
        # The database is the one the vm_act app of this pipeline
        # configured (configuring it again would replace its engine).
        self.collectors = (JobsCollector(),) if conf.metrics.job_metrics \
            else ()

    @webob.dec.wsgify
    def __call__(self, req):
        if req.environ.get('PATH_INFO', '') not in ('', '/'):
            return results.error_response(404, 'No such resource: %s.' % (
                exception.quote(req.path_info)))
        if req.method not in ('GET', 'HEAD'):
            response = results.error_response(
                405, 'Method %s is not allowed here; allowed: GET, HEAD.'
                % exception.quote(req.method))
            response.allow = ('GET', 'HEAD')
            return response
        ctx = req.environ[middleware.CONTEXT_KEY]
        try:
            policy.authorize(ctx, metrics_policies.READ, ctx.project_id)
        except exception.VmactError as e:
            return results.error_response(e.code, e.msg)
        body, content_type = metrics.exposition(self.collectors)
        response = webob.Response(body=body)
        response.headers['Content-Type'] = content_type
        return response


def app_factory(global_conf, **local_conf):
    return MetricsApp(vmact_conf.CONF)
