"""A fresh in-memory sqlite jobs database per test."""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from tests.unit import base
from vmact.db import api as db_api
from vmact.db import models


class DbTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.engine = db_api.reset_for_tests('sqlite://')
        models.BASE.metadata.create_all(self.engine)
        self.addCleanup(self.engine.dispose)
        self.now = timeutils.utcnow().replace(microsecond=0)

    def later(self, seconds):
        return self.now + datetime.timedelta(seconds=seconds)

    def make_job(self, servers=('s0', 's1', 's2'), tenant_id='demo',
                 idempotency=None, **job):
        job.setdefault('deadline', self.later(3600))
        job.update(tenant_id=tenant_id)
        for name, value in (('region', 'RegionOne'), ('agent', 'scloudm'),
                            ('action', 'os-stop')):
            job.setdefault(name, value)
        return db_api.create_job(job, list(servers), idempotency)

    def states(self, job_id):
        return [r['state'] for r in db_api.job_servers(job_id, 100000)]

    def count_statements(self):
        """[(first SQL word, executemany)] of statements run from now on.

        oslo.db's sqlite BEGIN and its connection ping are left out: they
        are transaction plumbing, not the statements of a function.
        """
        seen = []

        def listener(conn, cursor, statement, params, context, many):
            word = statement.split(None, 1)[0].upper()
            if word != 'BEGIN' and statement.strip() != 'SELECT 1':
                seen.append((word, many))
        sa.event.listen(self.engine, 'before_cursor_execute', listener)
        self.addCleanup(sa.event.remove, self.engine,
                        'before_cursor_execute', listener)
        return seen
