"""The jobs database: models, queries (vmact.db.api), migrations."""
