"""The provincial office server (省招商办): stores every device's changes, enforces who may
see what, and serves delta sync. Storage goes through SQLAlchemy Core so one code path
runs on SQLite (embedded default) and PostgreSQL (psycopg 3)."""
