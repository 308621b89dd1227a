"""Tests of loading checked batches into the live index: version rules, all-or-nothing, --partial.

    /work/main/.venv/bin/python -m pytest tests/test_load_into_index.py -q

Records are loaded into an EmbeddedBackend under tmp_path, directly (read_batch + apply) and
through the command line (index.cli.main(['load', ...]) with GUIDE_DATA_DIR set to tmp_path).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from index.backends.base import plan_changes
from index.backends.embedded import EmbeddedBackend
from index.cli import main
from index.loader import read_batch

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
RESIDENCE = EXAMPLES / "gdzwfw-guangzhou-panyu-residence-permit-endorsement.json"
BUSINESS = EXAMPLES / "gdzwfw-shenzhen-longgang-individual-business.json"
RESIDENCE_CODE = "TE44011350000011905442106041001"
BUSINESS_CODE = "11440300MB2D0970524440125044001"


# -- helpers ---------------------------------------------------------------------------------------


# The fixtures `residence` and `business` (fresh copies of the two real guides) are in conftest.py.


def changed(record: dict, **changes) -> dict:
    out = copy.deepcopy(record)
    out.update(changes)
    return out


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def backend(tmp_path):
    store = EmbeddedBackend(tmp_path / "data")
    yield store
    store.close()


def apply_files(backend, paths, **kwargs):
    batch = read_batch(paths)
    assert batch.problems == [], [str(p) for p in batch.problems]
    return backend.apply([located.record for located in batch.records], **kwargs)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """GUIDE_DATA_DIR for the command line; Elasticsearch switched off."""
    path = tmp_path / "cli-data"
    monkeypatch.setenv("GUIDE_DATA_DIR", str(path))
    for name in ("ELASTICSEARCH_URL", "GUIDE_INDEX_ELASTICSEARCH_URL", "GUIDE_INDEX_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return path


def snapshot(data_dir: Path) -> dict[str, dict]:
    """Every record in the index under data_dir, by 实施编码."""
    store = EmbeddedBackend(data_dir)
    try:
        return {record["实施编码"]: record for record in store.iter_records()}
    finally:
        store.close()


def run_load(capsys, *args) -> tuple[int, str, str]:
    code = main(["load", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


# -- the real guides -------------------------------------------------------------------------------


def test_real_guides_load_unchanged_with_unknown_keys_kept(backend, residence, business):
    report = apply_files(backend, [RESIDENCE, BUSINESS])

    assert sorted(report.added) == sorted([RESIDENCE_CODE, BUSINESS_CODE])
    assert report.total == 2 == backend.count()
    stored_residence = backend.get(RESIDENCE_CODE)
    stored_business = backend.get(BUSINESS_CODE)
    assert stored_residence == residence
    assert stored_business == business
    assert stored_business["跨域通办"] == business["跨域通办"] and len(stored_business["跨域通办"]) == 3
    assert stored_residence["_来源"] == residence["_来源"]
    assert stored_business["申请材料"][1]["已关联电子证照"] is True
    assert backend.get_many([RESIDENCE_CODE, BUSINESS_CODE, "NOPE"]) == {
        RESIDENCE_CODE: residence,
        BUSINESS_CODE: business,
    }


def test_loaded_records_survive_reopening(tmp_path, residence):
    first = EmbeddedBackend(tmp_path / "data")
    try:
        apply_files(first, [RESIDENCE])
    finally:
        first.close()

    again = EmbeddedBackend(tmp_path / "data")
    try:
        assert again.count() == 1
        assert again.get(RESIDENCE_CODE) == residence
    finally:
        again.close()


def test_get_unknown_code_is_none(backend):
    assert backend.get("NO-SUCH-CODE") is None
    assert backend.count() == 0


# -- version rules ---------------------------------------------------------------------------------


def test_higher_version_replaces_lower(backend, residence):
    backend.apply([residence])
    newer = changed(residence, 事项版本=residence["事项版本"] + 1, 办理地点="新地址 1 号")

    report = backend.apply([newer])

    assert report.updated == [RESIDENCE_CODE]
    assert report.added == [] and report.unchanged == [] and report.older == []
    assert backend.get(RESIDENCE_CODE) == newer
    assert backend.count() == 1 == report.total


def test_a_version_replaces_a_record_without_one(backend, residence):
    unversioned = changed(residence)
    del unversioned["事项版本"]
    backend.apply([unversioned])
    versioned = changed(residence, 事项版本=1, 办理时间="全天")

    report = backend.apply([versioned])

    assert report.updated == [RESIDENCE_CODE]
    assert backend.get(RESIDENCE_CODE)["办理时间"] == "全天"


def test_same_version_changes_nothing(backend, residence):
    backend.apply([residence])
    same_version_other_content = changed(residence, 办理地点="另一个地址", 受理条件="改过的条件")

    report = backend.apply([same_version_other_content])

    assert report.unchanged == [RESIDENCE_CODE]
    assert report.updated == [] and report.added == []
    assert backend.get(RESIDENCE_CODE) == residence


def test_same_version_again_through_the_files_changes_nothing(backend, tmp_path, residence):
    apply_files(backend, [RESIDENCE])
    edited = write_jsonl(tmp_path / "edited.jsonl", [changed(residence, 咨询电话=["020-00000000"])])

    report = apply_files(backend, [edited])

    assert report.unchanged == [RESIDENCE_CODE]
    assert backend.get(RESIDENCE_CODE)["咨询电话"] == ["020-84735511"]


def test_records_without_a_version_count_as_the_same_version(backend, residence):
    unversioned = changed(residence)
    del unversioned["事项版本"]
    backend.apply([unversioned])

    report = backend.apply([changed(unversioned, 办理地点="别处")])

    assert report.unchanged == [RESIDENCE_CODE]
    assert backend.get(RESIDENCE_CODE) == unversioned


def test_lower_version_is_ignored(backend, residence):
    backend.apply([residence])
    older = changed(residence, 事项版本=residence["事项版本"] - 1, 办理地点="旧地址")

    report = backend.apply([older])

    assert report.older == [RESIDENCE_CODE]
    assert report.updated == [] and report.unchanged == []
    assert backend.get(RESIDENCE_CODE) == residence


def test_mixed_batch_reports_each_kind(backend, residence, business):
    third = changed(residence, 实施编码="NEW-1")
    fourth = changed(business, 实施编码="NEW-2", 事项版本=3)
    backend.apply([residence, business, fourth])

    report = backend.apply(
        [
            changed(residence, 事项版本=residence["事项版本"] + 2),  # updated
            changed(business, 办理地点="x"),  # unchanged
            changed(fourth, 事项版本=2),  # older
            third,  # added
        ]
    )

    assert (report.added, report.updated, report.unchanged, report.older) == (
        ["NEW-1"],
        [RESIDENCE_CODE],
        [BUSINESS_CODE],
        ["NEW-2"],
    )
    assert report.total == 4 == backend.count()
    assert report.as_dict() == {"added": 1, "updated": 1, "unchanged": 1, "older": 1, "total": 4}
    assert "新增 1" in report.summary() and "共 4" in report.summary()


def test_plan_changes_applies_the_version_rule():
    existing = {"A": 2, "B": 2, "C": 2, "D": None}
    records = [
        {"实施编码": "A", "事项版本": 3},
        {"实施编码": "B", "事项版本": 2},
        {"实施编码": "C", "事项版本": 1},
        {"实施编码": "D"},
        {"实施编码": "E", "事项版本": 0},
    ]

    writes, report = plan_changes(existing, records)

    assert [w["实施编码"] for w in writes] == ["A", "E"]
    assert (report.added, report.updated, report.unchanged, report.older) == (["E"], ["A"], ["B", "D"], ["C"])


def test_replace_starts_empty(backend, residence, business):
    backend.apply([residence, business])
    lower = changed(residence, 事项版本=1, 办理地点="重新载入的地址")

    report = backend.apply([lower], replace=True)

    # Everything not in the new batch is gone, and no version rule against what was there before.
    assert report.added == [RESIDENCE_CODE]
    assert report.updated == [] and report.older == []
    assert backend.count() == 1 == report.total
    assert backend.get(BUSINESS_CODE) is None
    assert backend.get(RESIDENCE_CODE) == lower


def test_replace_with_nothing_empties_the_index(backend, residence):
    backend.apply([residence])

    report = backend.apply([], replace=True)

    assert backend.count() == 0 == report.total


# -- the command line: all or nothing --------------------------------------------------------------


def test_cli_load_good_batch(data_dir, capsys, residence, business):
    code, out, _ = run_load(capsys, RESIDENCE, BUSINESS, "--json")

    assert code == 0
    result = last_json(out)
    assert result["loaded"] is True
    assert (result["added"], result["total"], result["problems"]) == (2, 2, [])
    assert snapshot(data_dir) == {RESIDENCE_CODE: residence, BUSINESS_CODE: business}


def test_batch_with_errors_changes_nothing(data_dir, tmp_path, capsys, residence, business):
    assert run_load(capsys, RESIDENCE, BUSINESS)[0] == 0
    before = snapshot(data_dir)
    good_update = changed(residence, 事项版本=residence["事项版本"] + 1, 办理地点="更新后的地址")
    new_good = changed(business, 实施编码="NEW-GOOD")
    bad = changed(business, 实施编码="NEW-BAD", 承诺办结时限="三个工作日")
    path = write_jsonl(tmp_path / "mixed.jsonl", [good_update, new_good, bad])

    code, out, err = run_load(capsys, path, "--json")

    assert code == 1
    # The index is exactly as before: no update, no new record, not even the good ones.
    assert snapshot(data_dir) == before
    assert before[RESIDENCE_CODE] == residence
    result = last_json(out)
    assert result["loaded"] is False
    [problem] = result["problems"]
    assert problem["file"] == str(path)
    assert re.search(r"第\s*3\s*行", problem["where"])
    assert (problem["code"], problem["field"]) == ("NEW-BAD", "承诺办结时限")
    assert "三个工作日" in problem["message"]
    # The human-readable report names the same facts.
    for fact in (str(path), "NEW-BAD", "承诺办结时限", "三个工作日"):
        assert fact in err


def test_batch_with_errors_and_replace_changes_nothing(data_dir, tmp_path, capsys, residence, business):
    assert run_load(capsys, RESIDENCE, BUSINESS)[0] == 0
    before = snapshot(data_dir)
    bad = changed(residence, 实施编码="BAD-1")
    del bad["办理地点"]
    path = write_jsonl(tmp_path / "replace.jsonl", [changed(residence, 实施编码="ONLY-1"), bad])

    code, _, err = run_load(capsys, path, "--replace")

    assert code == 1
    assert snapshot(data_dir) == before  # not emptied
    assert "办理地点" in err and "BAD-1" in err


@pytest.mark.parametrize(
    "bad_content",
    [
        b'{"\xe4\xba\x8b\xe9\xa1\xb9\xe5\x90\x8d\xe7\xa7\xb0": \n',  # broken JSON
        "{}\n".encode("utf-8") + "事项".encode("gbk") + b"\n",  # not UTF-8
        b"",  # empty
        b"[1, 2]\n",  # records that are not objects
    ],
    ids=["broken-json", "gbk", "empty", "not-objects"],
)
def test_a_bad_file_stops_the_whole_batch(data_dir, tmp_path, capsys, residence, bad_content):
    assert run_load(capsys, RESIDENCE)[0] == 0
    before = snapshot(data_dir)
    good = write_jsonl(tmp_path / "good.jsonl", [changed(residence, 实施编码="FRESH-1")])
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(bad_content)

    code, _, err = run_load(capsys, good, bad)

    assert code == 1
    assert snapshot(data_dir) == before
    assert "FRESH-1" not in snapshot(data_dir)
    assert str(bad) in err


def test_duplicate_code_across_files_stops_the_batch(data_dir, tmp_path, capsys, residence):
    a = write_jsonl(tmp_path / "a.jsonl", [changed(residence, 实施编码="TWICE")])
    b = write_jsonl(tmp_path / "b.jsonl", [changed(residence, 实施编码="OTHER"), changed(residence, 实施编码="TWICE")])

    code, out, _ = run_load(capsys, a, b, "--json")

    assert code == 1
    [problem] = last_json(out)["problems"]
    assert (problem["file"], problem["code"], problem["field"]) == (str(b), "TWICE", "实施编码")
    assert snapshot(data_dir) == {}


def test_zhongshan_raw_export_loads_directly(data_dir, capsys):
    zhongshan = EXAMPLES / "zhongshan-sample.jsonl"
    raw = [json.loads(line) for line in zhongshan.read_text(encoding="utf-8").splitlines() if line.strip()]

    code, out, err = run_load(capsys, zhongshan)

    assert code == 0, err
    loaded = snapshot(data_dir)
    assert sorted(loaded) == sorted(r["TASK_CODE"] for r in raw)
    record = loaded[raw[0]["TASK_CODE"]]
    assert record["事项名称"] == raw[0]["TASK_NAME"]
    assert record["办理地点"] == raw[0]["handle_location"].removeprefix("办理地点：")
    assert record["收费"] is None and record["设定依据"] is None


# -- the command line: --partial -------------------------------------------------------------------


def test_partial_loads_good_records_and_reports_the_rest(data_dir, tmp_path, capsys, residence, business):
    assert run_load(capsys, RESIDENCE, BUSINESS)[0] == 0
    good_update = changed(residence, 事项版本=residence["事项版本"] + 1, 办理地点="更新后的地址")
    new_good = changed(business, 实施编码="NEW-GOOD")
    bad = changed(business, 实施编码="NEW-BAD")
    bad["申请材料"][1]["材料名称"] = 7
    path = write_jsonl(tmp_path / "mixed.jsonl", [good_update, new_good, bad])

    code, out, err = run_load(capsys, path, "--partial", "--json")

    # Problems are still an error exit, but the good records are in.
    assert code == 1
    after = snapshot(data_dir)
    assert after[RESIDENCE_CODE] == good_update
    assert after["NEW-GOOD"] == new_good
    assert "NEW-BAD" not in after
    assert after[BUSINESS_CODE] == business
    result = last_json(out)
    assert result["loaded"] is True
    assert (result["added"], result["updated"], result["total"]) == (1, 1, 3)
    [problem] = result["problems"]
    assert problem["file"] == str(path)
    assert re.search(r"第\s*3\s*行", problem["where"])
    assert (problem["code"], problem["field"]) == ("NEW-BAD", "申请材料[2].材料名称")


def test_partial_report_without_json_names_what_was_left_out(data_dir, tmp_path, capsys, residence):
    bad = changed(residence, 实施编码="LEFT-OUT", 到办事现场次数="1")
    path = write_jsonl(tmp_path / "p.jsonl", [changed(residence, 实施编码="LOADED"), bad])

    code, out, err = run_load(capsys, path, "--partial")

    assert code == 1
    assert set(snapshot(data_dir)) == {"LOADED"}
    assert "新增 1" in out
    for fact in (str(path), "LEFT-OUT", "到办事现场次数"):
        assert fact in err


def test_partial_leaves_out_both_copies_of_a_duplicate(data_dir, tmp_path, capsys, residence, business):
    a = write_jsonl(tmp_path / "a.jsonl", [changed(residence, 实施编码="DUP"), changed(residence, 实施编码="SOLO")])
    b = write_jsonl(tmp_path / "b.jsonl", [changed(business, 实施编码="DUP")])

    code, _, _ = run_load(capsys, a, b, "--partial")

    assert code == 1
    assert set(snapshot(data_dir)) == {"SOLO"}


def test_partial_with_a_clean_batch_exits_zero(data_dir, capsys):
    code, _, _ = run_load(capsys, RESIDENCE, "--partial")

    assert code == 0
    assert set(snapshot(data_dir)) == {RESIDENCE_CODE}


def test_cli_version_rules(data_dir, tmp_path, capsys, residence):
    assert run_load(capsys, RESIDENCE)[0] == 0
    same = write_jsonl(tmp_path / "same.jsonl", [changed(residence, 办理地点="同版本不同内容")])
    older = write_jsonl(tmp_path / "older.jsonl", [changed(residence, 事项版本=1, 办理地点="旧")])
    newer = write_jsonl(tmp_path / "newer.jsonl", [changed(residence, 事项版本=9, 办理地点="新")])

    code, out, _ = run_load(capsys, same, "--json")
    assert code == 0 and last_json(out)["unchanged"] == 1
    assert snapshot(data_dir)[RESIDENCE_CODE] == residence

    code, out, _ = run_load(capsys, older, "--json")
    assert code == 0 and last_json(out)["older"] == 1
    assert snapshot(data_dir)[RESIDENCE_CODE] == residence

    code, out, _ = run_load(capsys, newer, "--json")
    assert code == 0 and last_json(out)["updated"] == 1
    assert snapshot(data_dir)[RESIDENCE_CODE]["办理地点"] == "新"


def test_cli_replace_starts_empty(data_dir, tmp_path, capsys, residence, business):
    assert run_load(capsys, RESIDENCE, BUSINESS)[0] == 0

    code, out, _ = run_load(capsys, BUSINESS, "--replace", "--json")

    assert code == 0
    assert last_json(out)["total"] == 1
    assert snapshot(data_dir) == {BUSINESS_CODE: business}
