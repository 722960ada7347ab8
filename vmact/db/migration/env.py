"""Alembic environment: the engine comes from vmact.db.migration."""

from alembic import context

from vmact.db import models


def run_migrations_online():
    engine = context.config.attributes['engine']
    with engine.begin() as connection:
        context.configure(connection=connection,
                          target_metadata=models.BASE.metadata,
                          render_as_batch=True)
        context.run_migrations()


run_migrations_online()
