"""The personal checklist in Chromium: the kiosk prints only the materials that apply to the
citizen's answers, and the printable page shows the answers and the list
(docs/screenshots/personal-checklist.png is taken from it)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest

from index import checklist

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "personal-checklist.png"


def _record(live, name: str) -> dict:
    return next(r for r in live.app.state.searcher.backend.iter_records() if r["事项名称"] == name)


def test_the_kiosk_prints_the_personal_list(page, live):
    record = _record(live, "户口迁入（投靠亲属）")
    code, answers = record["实施编码"], {"s": "夫妻投靠"}
    sheet = checklist.personal_checklist(record, answers)
    question = [
        {"text": "您办理的是哪一种？", "buttons": [{"title": "夫妻投靠", "payload": '/answer_checklist{"checklist_answer":"1"}'}]},
        {"custom": {"response": "utter_checklist_question", "item_code": code}},
    ]
    final = [
        {"text": "按您的情况，需要准备以下材料：\n" + "\n".join(checklist.lines(sheet))},
        {"custom": {"response": "utter_personal_checklist", "item_code": code, "checklist": {"code": code, "answers": answers}}},
    ]
    original = live.rasa.reply
    live.rasa.reply = lambda message: final if message.startswith("/answer_checklist") else question
    try:
        page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
        page.goto(f"{live.url}/kiosk")
        page.get_by_label("也可以直接输入您的问题").fill("按我的情况列清单")
        page.get_by_role("button", name="提问").click()
        asked = page.locator("#log .msg.bot").last
        expect(asked).to_contain_text("您办理的是哪一种？")
        assert asked.get_by_role("button", name=re.compile("打印")).count() == 0  # a question, not an answer
        asked.get_by_role("button", name="夫妻投靠").click()
        card = page.locator("#log .msg.bot", has_text="按您的情况")
        card.get_by_role("button", name="打印我的材料清单").click()

        expect(page.locator("#print-region")).to_contain_text("业务办理项：夫妻投靠")
        printed = page.locator("#print-rows tr td:nth-child(2)").all_inner_texts()
        assert printed == [m["name"] for m in sheet.materials]
        assert "结婚证" in printed and not any(n.startswith("亲属关系证明") for n in printed)
        assert len(printed) < len(record["申请材料"])
        assert page.evaluate("window.__printed") == 1
        assert page.errors == []
    finally:
        live.rasa.reply = original


def test_the_printable_page_shows_the_answers_and_only_what_applies(browser, live, tmp_path):
    record = _record(live, "户口迁入（投靠亲属）")
    questions = {q.condition: q for q in checklist.questions(record, {"s": "夫妻投靠"})}
    entrusted = next(q for c, q in questions.items() if "委托" in c)
    answers = {"s": "夫妻投靠", entrusted.id: "否"}
    context = browser.new_context(locale="zh-CN", viewport={"width": 900, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{live.url}/api/items/{record['实施编码']}/checklist/print?{urlencode(answers)}")
        expect(page.get_by_role("heading", level=1)).to_have_text(record["事项名称"])
        expect(page.locator("#answers")).to_contain_text("您办理的是哪一种？ 夫妻投靠")
        names = page.locator("#materials tbody td[data-label='材料名称']").all_inner_texts()
        assert "结婚证" in names and not any("授权委托书" in n for n in names)
        image = tmp_path / "personal-checklist.png"
        page.screenshot(path=str(image), full_page=True)
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size < 300_000
        if os.environ.get("GUIDE_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, SCREENSHOT)
    finally:
        context.close()
