"""The [database] options and their bounded defaults."""

import os

import fixtures

from tests.unit import base
from vmact.conf import database
from vmact.conf import opts
from vmact.db import session


class DatabaseOptionsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        database.register_opts(self.conf)

    def test_defaults_fail_fast(self):
        db = self.conf.database
        self.assertEqual((0, 5, 600, 5),
                         (db.max_retries, db.pool_timeout,
                          db.connection_recycle_time, db.connect_timeout))

    def test_default_is_a_sqlite_file_under_state_path(self):
        self.flags(state_path='/srv/vmact')
        self.assertEqual('sqlite:////srv/vmact/vmact.sqlite',
                         self.conf.database.connection)

    def test_sample_lists_database_and_state_path(self):
        listed = opts.list_opts()
        names = {o.name for group, options in listed
                 if group == 'database' for o in options}
        self.assertLessEqual({'connection', 'max_retries', 'pool_timeout',
                              'connect_timeout'}, names)
        self.assertIn(database.STATE_PATH, dict(listed)['DEFAULT'])


class ConnectTimeoutTest(base.TestCase):

    def test_added_to_postgresql_and_mysql(self):
        self.assertEqual(
            'postgresql+psycopg2://u:p@127.0.0.1:5432/vmact?'
            'connect_timeout=5',
            session.with_connect_timeout(
                'postgresql+psycopg2://u:p@127.0.0.1:5432/vmact', 5))
        self.assertEqual(
            'mysql+pymysql://u:p@db/vmact?charset=utf8&connect_timeout=3',
            session.with_connect_timeout(
                'mysql+pymysql://u:p@db/vmact?charset=utf8', 3))

    def test_kept_when_named_and_not_added_to_sqlite(self):
        url = 'postgresql://u@h/d?connect_timeout=9'
        self.assertEqual(url, session.with_connect_timeout(url, 5))
        self.assertEqual('sqlite:////x/y.db',
                         session.with_connect_timeout('sqlite:////x/y.db', 5))
        self.assertEqual('postgresql://h/d',
                         session.with_connect_timeout('postgresql://h/d', 0))

    def test_configure_creates_the_sqlite_directory(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(state_path=os.path.join(tmp, 'a', 'b'))
        session.configure(self.conf)
        with session.writer() as s:
            s.connection().exec_driver_sql('CREATE TABLE t (x INTEGER)')
        self.assertTrue(os.path.exists(os.path.join(tmp, 'a', 'b',
                                                    'vmact.sqlite')))
