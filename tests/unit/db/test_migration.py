"""vmact.db.migration: the schema alembic builds is the models' schema."""

import os

from alembic import autogenerate
from alembic import migration as alembic_migration
import fixtures
from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa

from tests.unit import base
from vmact.db import api as db_api
from vmact.db import migration
from vmact.db import models


class MigrationTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'state', 'jobs.sqlite')
        self.flags(group='database', connection='sqlite:///' + self.path)

    def test_sync_creates_the_schema_once_and_says_its_version(self):
        self.assertIsNone(migration.current_version(self.conf))
        migration.upgrade(self.conf)
        migration.upgrade(self.conf)
        self.assertEqual('0002', migration.current_version(self.conf))
        self.assertEqual(migration.head(),
                         migration.current_version(self.conf))
        tables = set(sa.inspect(db_api.session.get_engine()).get_table_names())
        self.assertEqual({'alembic_version', 'jobs', 'job_servers',
                          'idempotency_keys'}, tables)
        self.assertTrue(os.path.exists(self.path))

    def test_models_and_migrations_agree(self):
        migration.upgrade(self.conf)
        with db_api.session.get_engine().connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection, opts={'compare_type': True})
            diff = autogenerate.compare_metadata(context, models.BASE.metadata)
        self.assertEqual([], diff)

    def test_a_differing_model_is_noticed(self):
        migration.upgrade(self.conf)
        metadata = sa.MetaData()
        for table in models.BASE.metadata.tables.values():
            table.to_metadata(metadata)
        sa.Table('jobs', metadata, sa.Column('extra', sa.Integer),
                 extend_existing=True)
        with db_api.session.get_engine().connect() as connection:
            context = alembic_migration.MigrationContext.configure(connection)
            diff = autogenerate.compare_metadata(context, metadata)
        self.assertEqual([('add_column', 'jobs')],
                         [(d[0], d[2]) for d in diff])


class ModelsMigrationsSyncTest(test_migrations.ModelsMigrationsSync,
                               base.TestCase):
    """oslo.db's standard check, on a sqlite file synced by alembic."""

    def setUp(self):
        super().setUp()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'jobs.sqlite')
        self.engine = db_api.reset_for_tests('sqlite:///' + path)
        self.addCleanup(self.engine.dispose)

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.BASE.metadata

    def db_sync(self, engine):
        migration.upgrade_engine(engine)
