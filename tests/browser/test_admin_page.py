"""The oversight page (/admin) in Chromium: its own token, the overview tables, and the item
standards upload with its problems listed."""

from __future__ import annotations

import json

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def test_admin_needs_the_admin_token_and_shows_the_overview(page, live, residence_code):
    store = live.app.state.store
    store.add_unanswered("web-admin-1", "怎么领养一只熊猫", "utter_out_of_scope")
    store.add_answer(residence_code, "442106040001", "utter_materials")
    page.goto(f"{live.url}/admin")
    expect(page.get_by_role("heading", name="管理员登录")).to_be_visible()
    # The agent's token does not open the admin page.
    page.get_by_label("管理令牌").fill(live.app.state.tokens["agent"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("令牌不正确，请重新输入。")
    page.get_by_label("管理令牌").fill(live.app.state.tokens["admin"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="运行概况")).to_be_visible()
    expect(page.locator("#unanswered")).to_contain_text("怎么领养一只熊猫")
    expect(page.locator("#top-items")).to_contain_text("居住证申领")
    expect(page.locator("#stats")).to_contain_text("申请草稿")
    # Separate keys: the admin login is not the agent's.
    assert page.evaluate("sessionStorage.getItem('guide.agentToken')") is None
    assert page.errors == []


def test_upload_shows_the_problems_of_a_refused_file_and_the_report_of_a_good_one(page, live, tmp_path, residence_code):
    page.goto(f"{live.url}/admin")
    page.get_by_label("管理令牌").fill(live.app.state.tokens["admin"])
    page.get_by_role("button", name="登录").click()

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"事项名称": "缺编码的事项"}\n{not json\n', encoding="utf-8")
    page.get_by_label("事项标准文件（.json 或 .jsonl）").set_input_files(str(bad))
    page.get_by_role("button", name="上传并载入").click()
    expect(page.locator("#upload-status")).to_contain_text("未载入")
    problems = page.locator("#problems tr")
    expect(problems.first).to_be_visible()
    assert problems.count() >= 2
    expect(page.locator("#problems")).to_contain_text("bad.jsonl")

    record = live.app.state.searcher.backend.get(residence_code)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    page.get_by_label("事项标准文件（.json 或 .jsonl）").set_input_files(str(good))
    page.get_by_role("button", name="上传并载入").click()
    expect(page.locator("#upload-status")).to_contain_text("已载入：合格记录 1")
    expect(page.locator("#problems-table")).to_be_hidden()
    assert page.errors == []
