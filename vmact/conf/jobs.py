"""The ``[jobs]`` group: asynchronous batch actions and their engines."""

from oslo_config import cfg

GROUP = cfg.OptGroup('jobs', title='Asynchronous jobs')

OPTS = [
    cfg.IntOpt('max_servers_per_job', default=10000, min=1,
               help='Most server IDs one asynchronous request (a job) may '
                    'name.'),
    cfg.IntOpt('retention', default=30, min=1,
               help='Days finished jobs and idempotency keys are kept; '
                    '"vmact-manage jobs purge" removes older ones.'),
    cfg.IntOpt('max_duration', default=86400, min=1,
               help='Seconds a job may run: its deadline is its creation '
                    'time plus this, and its trust expires then. Servers '
                    'still pending at the deadline end failed (504).'),
    cfg.IntOpt('lease_time', default=30, min=1,
               help='Seconds an engine\'s claim on a job lasts unless '
                    'renewed; after it another engine may take the job '
                    'over.'),
    cfg.IntOpt('lease_renew_interval', default=10, min=1,
               help='Seconds between an engine\'s lease renewals; keep it '
                    'well below lease_time.'),
    cfg.IntOpt('scan_interval', default=5, min=1,
               help='Seconds between an engine\'s looks in the database '
                    'for jobs nobody holds (unclaimed, or lease expired).'),
    cfg.IntOpt('max_running_jobs', default=4, min=1,
               help='Jobs one engine process runs at once.'),
    cfg.IntOpt('chunk_size', default=100, min=1,
               help='Servers marked sending per database round; the '
                    'backend fans each chunk out at its own concurrency.'),
    cfg.FloatOpt('rate', default=0, min=0,
                 help='Calls per second a process (an engine, or the API '
                      'for synchronous actions: one token bucket each, '
                      'shared by both in the in-process engine) makes to '
                      'one agent in one region; 0 means no limit. '
                      'Without it the calls in flight are still bounded '
                      'by the agent\'s max_concurrency_per_request and '
                      'max_concurrency. E.g. 50 makes a 10,000-server '
                      'job take at least 200 s.'),
    cfg.IntOpt('burst', default=100, min=1,
               help='Calls a process may make at once to one agent in '
                    'one region after a pause (the token bucket\'s '
                    'size), when rate is set.'),
    cfg.IntOpt('max_resends', default=3, min=0,
               help='Times a call the backend refused as not accepted '
                    '(429, or 503 with Retry-After) is sent again. An '
                    'accepted call is never sent again.'),
    cfg.IntOpt('max_retry_after', default=60, min=0,
               help='Longest Retry-After (seconds) honoured before a '
                    'resend; a longer one is cut to this.'),
    cfg.FloatOpt('reconcile_clock_skew', default=5, min=0,
                 help='Seconds subtracted from a server\'s sent_at when '
                      'asking the backend whether a call in flight at a '
                      'crash was received (clocks of vmact and the '
                      'backend may differ by this much).'),
    cfg.IntOpt('page_size', default=100, min=1,
               help='Servers (or jobs) per page when the request names no '
                    'limit.'),
    cfg.IntOpt('max_page_size', default=1000, min=1,
               help='Largest limit a job read or listing may ask for.'),
    cfg.StrOpt('topic', default='vmact-engine',
               help='oslo.messaging topic the engines listen on, when '
                    '[DEFAULT] transport_url is set.'),
    cfg.FloatOpt('cast_timeout', default=5, min=0,
                 help='Seconds the API\'s background cast to the engines '
                      'may take; a lost cast is found by the engines\' '
                      'database scan within scan_interval.'),
    cfg.IntOpt('max_wave_pause', default=3600, min=0,
               help='Longest "pause" (seconds) a request\'s "waves" may '
                    'ask between two waves of a job.'),
    cfg.IntOpt('max_grace', default=600, min=1,
               help='Longest "grace" (seconds) of a SOFT_FIRST reboot: '
                    'the time a SOFT reboot is given before the servers '
                    'not back in ACTIVE get a HARD one.'),
    cfg.IntOpt('default_grace', default=60, min=1,
               help='"grace" (seconds) of a SOFT_FIRST reboot that names '
                    'none; at most max_grace.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return {GROUP: OPTS}
