"""Alembic migrations of the jobs database, configured in code.

No alembic.ini is read: :func:`upgrade` and :func:`current_version` build
alembic's configuration here and run ``env.py`` on the engine of
:mod:`vmact.db.session`.
"""

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration
from alembic import script

from vmact.db import session

HERE = os.path.dirname(os.path.abspath(__file__))


def _config(engine):
    config = alembic_config.Config()
    config.set_main_option('script_location', HERE)
    config.attributes['engine'] = engine
    return config


def upgrade(conf, revision='head'):
    """Bring the database of ``conf``'s ``[database]`` to ``revision``."""
    session.configure(conf)
    upgrade_engine(session.get_engine(), revision)


def upgrade_engine(engine, revision='head'):
    """:func:`upgrade` on an engine (tests)."""
    command.upgrade(_config(engine), revision)


def current_version(conf):
    """The database's revision, or None before the first sync."""
    session.configure(conf)
    return version_of(session.get_engine())


def version_of(engine):
    with engine.connect() as connection:
        return migration.MigrationContext.configure(
            connection).get_current_revision()


def head():
    """The newest revision in versions/."""
    return script.ScriptDirectory.from_config(_config(None)).get_current_head()
