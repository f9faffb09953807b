"""Alembic's scripts for the app database (bot/storage/migrate.py runs them)."""
