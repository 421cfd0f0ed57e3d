"""客商 search counts are exact, also for broad queries beyond the ranking's candidates,
and stay exact through edits and deletes; the list holds exactly that many rows."""

from __future__ import annotations

from zsapp import search
from zsapp.contacts import companies
from zsapp.contacts.companies import CompanyFilter


def _seed(store, n=650):
    with store.transaction():
        ids = [
            store.insert(
                "companies",
                {"name": f"华{k:04d}号科技有限公司", "region_tag": "成渝" if k % 2 else ""},
            )
            for k in range(n)
        ]
        ids.append(store.insert("companies", {"name": "云南白药集团股份有限公司"}))
    return ids


def _count_by_scan(store, query):
    """What 'matches' means, counted the slow way: distinct entities among index rows."""
    return store.scalar(
        "SELECT count(DISTINCT entity_id) FROM search_companies WHERE search_companies MATCH ?",
        (search.match_expression(query),),
    )


def test_broad_query_count_is_exact_and_every_row_is_listed(store):
    ids = _seed(store)
    for query in ("华", "h", "hua", "科技", "kj", "有限公司", "y", "0"):
        expected = _count_by_scan(store, query)
        assert companies.count_companies(store, CompanyFilter(query=query)) == expected, query
    assert companies.count_companies(store, CompanyFilter(query="华")) == 650  # > 400 candidates
    assert companies.count_companies(store, CompanyFilter(query="baiyao")) == 1
    assert companies.count_companies(store) == 651

    listed = []
    for offset in range(0, 700, 50):
        listed += companies.list_companies(
            store, CompanyFilter(query="华"), limit=50, offset=offset
        )
    assert len(listed) == 650 and len({r["id"] for r in listed}) == 650
    assert {r["id"] for r in listed} == set(ids[:650])

    narrowed = CompanyFilter(query="华", region_tag="成渝")
    assert companies.count_companies(store, narrowed) == 325
    rows = companies.list_companies(store, narrowed, limit=400)
    assert len(rows) == 325 and all(r["region_tag"] == "成渝" for r in rows)


def test_counts_follow_edits_and_deletes(store):
    ids = _seed(store, 3)
    assert companies.count_companies(store, CompanyFilter(query="华")) == 3
    store.update("companies", ids[0], {"name": "滇池新材料有限公司"})
    store.delete("companies", ids[1])
    assert companies.count_companies(store, CompanyFilter(query="华")) == 1
    assert companies.count_companies(store, CompanyFilter(query="d")) == _count_by_scan(store, "d")
    assert companies.count_companies(store, CompanyFilter(query="滇")) == 1
    assert companies.count_companies(store) == 3
    # a rebuild from the index rows gives the same numbers as the kept-up-to-date ones
    before = store.rows(
        "SELECT key, n FROM search_char_counts WHERE kind = 'companies' ORDER BY key"
    )
    with store.transaction():
        search.rebuild_entity_index(store, "companies")
    after = store.rows(
        "SELECT key, n FROM search_char_counts WHERE kind = 'companies' ORDER BY key"
    )
    assert [tuple(r) for r in before if r[1]] == [tuple(r) for r in after if r[1]]


def test_visit_and_followup_counts_match_the_lists(store):
    from zsapp.contacts import visits

    ids = [
        visits.create_visit(store, {}, followups=[{"text": f"跟进{k}", "due_date": "2020-01-01"}])
        for k in range(5)
    ]
    visits.delete_visit(store, ids[0])
    store.update("visits", ids[1], {"deleted": 1})
    store.update("visits", ids[1], {"deleted": 0})
    assert visits.count_visits_matching(store) == 4 == len(visits.list_visits(store))
    assert visits.count_followups(store, 7) == {"open": 4, "overdue": 4, "today": 0}
    assert len(visits.list_followups(store, due_within=7)) == 4
    page = visits.list_visits(store, limit=2)
    rest = visits.list_visits(store, limit=10, after=page[-1])
    assert [r["id"] for r in page + rest] == [r["id"] for r in visits.list_visits(store)]
