"""An ``office`` fixture run on SQLite and on PostgreSQL (a throwaway cluster per module).

Use in a test module:  ``from office_backends import cluster, office  # noqa: F401``.
"""

from __future__ import annotations

import pytest
from pg import PgCluster, PgUnavailable, unique_db_name

from zsapp.office.service import Office


@pytest.fixture(scope="module")
def cluster():
    try:
        c = PgCluster().start()
    except PgUnavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield c
    c.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office(request, tmp_path):
    if request.param == "postgres":
        c = request.getfixturevalue("cluster")
        o = Office(c.create_database(unique_db_name()), blob_dir=tmp_path / "blobs")
    else:
        o = Office(tmp_path / "office.sqlite3")
    o.init()
    yield o
    o.close()
