"""Persistence: SQLAlchemy tables, engines, Alembic migrations, the repository and the
writer process that runs the server's writes."""
