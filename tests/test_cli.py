"""The CLI, run as a user runs it: a real subprocess, real database file."""

import json
import os
import subprocess
import sys

import zsapp


def run(*args, data_dir, check=True):
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "zsapp", *args], capture_output=True, text=True, env=env, timeout=60
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_version(data_dir):
    assert zsapp.__version__ in run("--version", data_dir=data_dir).stdout


def test_search_json_is_stable(data_dir):
    hits = json.loads(
        run("catalogue", "search", "kf", "--json", "--limit", "3", data_dir=data_dir).stdout
    )
    assert len(hits) == 3
    assert set(hits[0]) == {"id", "kind", "industry", "item", "term", "path", "matched", "score"}
    assert hits[0]["id"] == "I01-06" and hits[0]["path"] == ["高原特色现代农业", "咖啡"]
    assert hits[0]["matched"] == "咖啡"


def test_search_text_output_and_no_result_message(data_dir):
    out = run("catalogue", "search", "锗", data_dir=data_dir).stdout
    assert "新材料产业 › 光电子微电子新材料" in out
    assert "没有找到" in run("catalogue", "search", "xqzv", data_dir=data_dir).stdout


def test_show_and_list(data_dir):
    item = json.loads(run("catalogue", "show", "I06-04", "--json", data_dir=data_dir).stdout)
    assert item["name"] == "锡基新材料" and "BGA（球栅阵列封装）锡球" in item["terms"]
    listing = json.loads(run("catalogue", "list", "--json", data_dir=data_dir).stdout)
    assert len(listing) == 10 and sum(len(i["items"]) for i in listing) == 45


def test_unknown_item_is_an_error_on_stderr(data_dir):
    result = run("catalogue", "show", "I99-99", data_dir=data_dir, check=False)
    assert result.returncode != 0 and "I99-99" in result.stderr and result.stdout == ""


def test_bad_limit_is_refused(data_dir):
    result = run("catalogue", "search", "茶", "--limit", "0", data_dir=data_dir, check=False)
    assert result.returncode == 2 and "limit" in result.stderr


def test_db_info(data_dir):
    info = json.loads(run("db", "info", "--json", data_dir=data_dir).stdout)
    assert info["path"] == str(data_dir / "zsapp.sqlite3")
    assert info["schema_version"] >= 1 and info["catalogue_version"] == "2022.1"
    assert info["counts"]["catalogue_items"] == 45


def test_profile_set_validates_phone(data_dir):
    saved = json.loads(
        run(
            "profile", "set", "--name", "李娜", "--phone", "138 0013 8000", data_dir=data_dir
        ).stdout
    )
    assert saved["phone"] == "+8613800138000"
    bad = run("profile", "set", "--phone", "12345", data_dir=data_dir, check=False)
    assert bad.returncode == 1 and "12345" in bad.stderr and "不是有效号码" in bad.stderr
    assert json.loads(run("profile", "show", "--json", data_dir=data_dir).stdout)["name"] == "李娜"


def test_selftest(data_dir):
    assert "ok" in run("--selftest", data_dir=data_dir).stdout


def test_main_py_dispatches_cli_arguments(data_dir):
    env = {**os.environ, "ZSAPP_DATA_DIR": str(data_dir)}
    root = os.path.dirname(os.path.dirname(__file__))
    result = subprocess.run(
        [sys.executable, os.path.join(root, "main.py"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0 and zsapp.__version__ in result.stdout
