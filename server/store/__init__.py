"""Persistence: SQLAlchemy tables, engines, Alembic migrations and the repository."""
