"""Alembic migrations of the wangge schema."""
