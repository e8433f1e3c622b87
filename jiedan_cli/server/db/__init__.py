"""The server's storage: SQLAlchemy Core tables, Alembic migrations, and the Database handle."""

from jiedan_cli.server.db.engine import Database

__all__ = ["Database"]
