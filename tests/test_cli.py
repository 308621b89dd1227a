"""The command line: search, show and generate (load is covered in test_load_into_index)."""

from __future__ import annotations

import json

import pytest

from index.backends.embedded import EmbeddedBackend
from index.cli import main


@pytest.fixture
def data_dir(tmp_path, monkeypatch, mini_corpus):
    monkeypatch.setenv("GUIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    return tmp_path


def test_search_prints_ranked_items_with_regions(data_dir, capsys):
    assert main(["search", "桂城办暂住证"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("地区：广东省佛山市南海区桂城街道")
    assert "1. 居住证申领" in out and "X0002" in out


def test_search_json_has_groups_implementations_and_attributes(data_dir, capsys):
    assert main(["search", "补办身份证要带什么", "--json", "--region", "佛山"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["attributes"] == ["materials"] and body["region_source"] == "filter"
    assert body["results"][0]["item_key"] == "442106020003"
    assert [i["code"] for i in body["results"][0]["implementations"]] == ["X0005"]


def test_search_with_unknown_region_is_a_usage_error(data_dir, capsys):
    assert main(["search", "补办身份证", "--region", "火星"]) == 2
    assert "火星" in capsys.readouterr().err


def test_show_guide_manual_html_and_json(data_dir, capsys, panyu):
    code = panyu["实施编码"]
    assert main(["show", code]) == 0
    assert "沙湾街办事站" in capsys.readouterr().out
    assert main(["show", code, "--manual"]) == 0
    assert "第十六条" in capsys.readouterr().out
    assert main(["show", code, "--html"]) == 0
    assert capsys.readouterr().out.lstrip().startswith("<!DOCTYPE html>")
    assert main(["show", code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == panyu


def test_show_unknown_code(data_dir, capsys):
    assert main(["show", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err


def test_generate_writes_n_valid_lines(tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    assert main(["generate", "25", "--out", str(out)]) == 0
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 25 and len({json.loads(l)["实施编码"] for l in lines}) == 25
    assert main(["generate", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
