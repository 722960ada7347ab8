"""vmact-manage: db sync, db version, jobs purge."""

import datetime
import io
import os

import fixtures
from oslo_utils import timeutils

from tests.unit import base
from vmact.cmd import manage
from vmact.db import api as db_api
from vmact.db import migration


class ManageTest(base.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.config = os.path.join(tmp, 'vmact.conf')
        with open(self.config, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n' % os.path.join(tmp, 's'))
        self.path = os.path.join(tmp, 's', 'vmact.sqlite')

    def run_manage(self, *args):
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO())).new_value
        err = self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                                   io.StringIO())).new_value
        code = manage.main(['--config-file', self.config] + list(args))
        return code, out.getvalue(), err.getvalue()

    def test_sync_then_version(self):
        self.assertEqual((0, 'None (run "db sync")\n', ''),
                         self.run_manage('db', 'version'))
        head = migration.head()
        self.assertEqual((0, 'Database at revision %s\n' % head, ''),
                         self.run_manage('db', 'sync'))
        self.assertEqual(0, self.run_manage('db', 'sync')[0])
        self.assertEqual((0, head + '\n', ''),
                         self.run_manage('db', 'version'))
        self.assertTrue(os.path.exists(self.path))

    def finished_job(self, days_ago):
        when = timeutils.utcnow() - datetime.timedelta(days=days_ago)
        job = db_api.create_job(
            {'tenant_id': 'demo', 'region': 'R', 'agent': 'a',
             'action': 'os-stop', 'deadline': when}, ['s1', 's2'])
        db_api.claim_job(job['id'], 'e', when, 30)
        db_api.finish_job(job['id'], 'e', 'SUCCESS', when)
        return job['id']

    def test_purge_removes_what_is_older_than_days(self):
        self.run_manage('db', 'sync')
        old, recent = self.finished_job(40), self.finished_job(10)
        code, out, _ = self.run_manage('jobs', 'purge')
        self.assertEqual(0, code)
        self.assertIn('Removed 1 finished job(s)', out)
        self.assertIn('older than 30 day(s)', out)
        self.assertIsNone(db_api.get_job(old))
        code, out, _ = self.run_manage('jobs', 'purge', '--days', '5')
        self.assertIn('Removed 1 finished job(s)', out)
        self.assertIsNone(db_api.get_job(recent))

    def test_negative_days_refused(self):
        code, _, err = self.run_manage('jobs', 'purge', '--days', '-1')
        self.assertEqual(2, code)
        self.assertIn('--days', err)

    def test_unreachable_database_is_an_error_line(self):
        with open(self.config, 'a') as f:
            f.write('[database]\nconnection = sqlite:////proc/no/such.db\n')
        code, out, err = self.run_manage('db', 'version')
        self.assertEqual(1, code)
        self.assertIn('vmact-manage: database unreachable', err)
