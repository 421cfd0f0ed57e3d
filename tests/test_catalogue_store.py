"""The bundled catalogue is loaded into SQLite once, and again only when it changes."""

import json

from zsapp import catalogue
from zsapp.bootstrap import open_store


def test_first_run_loads_the_whole_catalogue(store):
    assert catalogue.current_version(store) == "2022.1"
    inds = catalogue.industries(store)
    assert [len(i.items) for i in inds] == [11, 5, 3, 3, 2, 8, 5, 3, 2, 3]
    assert len(catalogue.admission_rules(store)) == 5
    item = catalogue.get_item(store, "I06-04")
    assert "BGA（球栅阵列封装）锡球" in item.terms and item.path == ["新材料产业", "锡基新材料"]


def test_reopen_does_not_reload_unchanged_catalogue(db_path):
    with open_store(db_path) as s:
        loaded_at = s.scalar("SELECT loaded_at FROM catalogue_versions")
    with open_store(db_path) as s:
        assert not catalogue.ensure_loaded(s)
        assert s.scalar("SELECT loaded_at FROM catalogue_versions") == loaded_at


def test_newer_synced_catalogue_is_kept_and_searchable(store):
    doc = catalogue.document(store)
    doc["version"] = "2099.1"
    doc["industries"][0]["items"][0]["terms"].append("普洱生茶饼")
    catalogue.install(store, doc)
    assert not catalogue.ensure_loaded(store)  # bundled 2022.1 does not downgrade it
    assert catalogue.current_version(store) == "2099.1"
    assert any(h.term == "普洱生茶饼" for h in catalogue.search_catalogue(store, "生茶饼"))


def test_invalid_catalogue_is_refused_and_current_kept(store):
    import pytest

    with pytest.raises(catalogue.CatalogueError, match="格式不正确"):
        catalogue.install(store, json.loads('{"version": "x", "industries": [{"id": "I1"}]}'))
    assert catalogue.current_version(store) == "2022.1"
    assert store.count("catalogue_items") == 45


def test_item_labels_and_tokens_for_linking_forms(store):
    import pytest

    labels = catalogue.item_labels(store, "kf")
    assert labels[0] == "I01-06 高原特色现代农业 › 咖啡"
    assert len(labels) == len(set(labels))
    # a label, a bare id, an exact item name; blanks and repeats ignored
    assert catalogue.resolve_item_tokens(store, [labels[0], "I06-02", " ", "I01-06", "咖啡"]) == [
        "I01-06",
        "I06-02",
    ]
    with pytest.raises(catalogue.CatalogueError, match="火星采矿"):
        catalogue.resolve_item_tokens(store, ["I06-02", "火星采矿"])
