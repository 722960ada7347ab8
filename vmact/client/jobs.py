"""Jobs: show, list, cancel and wait for vmact's asynchronous actions.

A job's representation is the API's (doc/source/api-rules.rst, "Jobs"),
as a :class:`Job` dict. Pages are followed through the answer's ``next``
link: its query is sent again on the client's own path, so an endpoint
with a path prefix works too.
"""

import time
import urllib.parse

from vmact.client import exceptions

PREFIX = '/mana_api/jobs'
FINAL_STATUSES = frozenset(('SUCCESS', 'PARTIAL', 'FAIL', 'CANCELLED'))
#: Server states that count as the action done for that server.
SUCCESS_STATES = frozenset(('accepted', 'succeeded', 'skipped'))
_ENDED = frozenset(('succeeded', 'skipped', 'failed', 'cancelled'))


class Job(dict):
    """A job as vmact shows it, with a few derived values."""

    location = None

    @property
    def id(self):
        return self['job_id']

    @property
    def status(self):
        return self.get('status')

    @property
    def finished(self):
        return self.status in FINAL_STATUSES

    @property
    def total(self):
        return self.get('server_count') or 0

    @property
    def done(self):
        """Servers in a final state (``accepted`` is final without wait)."""
        counts = self.get('counts') or {}
        ended = set(_ENDED)
        if not self.get('wait'):
            ended.add('accepted')
        return sum(n for state, n in counts.items() if state in ended)

    @property
    def failed(self):
        return (self.get('counts') or {}).get('failed', 0)


class JobManager(object):
    """``client.jobs``: the jobs API."""

    def __init__(self, client):
        self.client = client
        self.sleep = time.sleep
        self.clock = time.monotonic

    def get(self, job_id, limit=None, marker=None):
        """The job and one page of its servers.

        ``limit`` servers after ``marker`` (a server ID); the answer has
        ``next`` when more remain.
        """
        params = _params(limit=limit, marker=marker)
        return Job(self.client.request('GET', _job_path(job_id),
                                       params=params).json())

    def servers(self, job_id, limit=None):
        """Every server of the job, in request order, page after page."""
        params = _params(limit=limit)
        while True:
            page = self.client.request('GET', _job_path(job_id),
                                       params=params).json()
            yield from page.get('servers') or ()
            if not page.get('next'):
                return
            params = _next_query(page['next'])

    def list(self, tenant_id=None, status=None, limit=None):
        """Jobs, newest first (a generator that follows ``next``).

        :param tenant_id: whose jobs (default: the token's project).
        """
        params = _params(tenant_id=tenant_id, status=status, limit=limit)
        while True:
            page = self.client.request('GET', PREFIX, params=params).json()
            for job in page.get('jobs') or ():
                yield Job(job)
            if not page.get('next'):
                return
            params = _next_query(page['next'])

    def cancel(self, job_id):
        """Cancel what was not yet sent: the job, without its servers."""
        return Job(self.client.request('DELETE', _job_path(job_id)).json())

    def wait(self, job_id, timeout=600, interval=2, on_progress=None):
        """Read the job every ``interval`` s until it ends; the last read.

        :param on_progress: called with each :class:`Job` read (its
            ``done``, ``failed`` and ``total``), the last one included.
        :raises vmact.client.exceptions.WaitTimeout: not ended within
            ``timeout`` seconds (the job goes on).
        """
        deadline = self.clock() + timeout
        while True:
            job = self.get(job_id, limit=1)
            if on_progress is not None:
                on_progress(job)
            if job.finished:
                return job
            left = deadline - self.clock()
            if left <= 0:
                raise exceptions.WaitTimeout(
                    'Job %s is still %s after %g s.'
                    % (job_id, job.status, timeout), job)
            self.sleep(min(interval, left))


def _job_path(job_id):
    return '%s/%s' % (PREFIX, urllib.parse.quote(str(job_id), safe=''))


def _params(**params):
    return {k: v for k, v in params.items() if v is not None} or None


def _next_query(link):
    """The query of a ``next`` link, as request parameters."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
