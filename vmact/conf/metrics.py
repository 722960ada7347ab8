"""``[metrics]``: where the Prometheus metrics of several processes meet.

doc/source/metrics.rst describes the endpoint and how to scrape it.
"""

from oslo_config import cfg

GROUP = 'metrics'

OPTS = [
    cfg.StrOpt(
        'multiproc_dir',
        help='A directory every vmact process of this host writes its '
             'metrics to (prometheus_client\'s multi-process mode), so '
             'that /metrics shows the sum of all mod_wsgi daemon '
             'processes and vmact-engine processes, not only the one '
             'that answered the scrape. The environment variable '
             'PROMETHEUS_MULTIPROC_DIR wins over this option. The '
             'directory must exist, be writable by every process and be '
             'emptied before the services start (not while they run). '
             'Unset: each process counts alone.'),
    cfg.BoolOpt(
        'job_metrics', default=True,
        help='Read vmact_jobs and vmact_job_queue_depth from the jobs '
             'database at each scrape (two GROUP BY/COUNT queries, bounded '
             'by [database] query_timeout on PostgreSQL). False leaves '
             'them out.'),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
