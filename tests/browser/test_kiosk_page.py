"""The hall kiosk (/kiosk) in Chromium: themes as buttons, answer cards, the printed checklist,
the continue-on-your-phone QR code, and the idle reset between citizens."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def _qr_sender(page) -> str:
    """The conversation id, as the QR code carries it to the phone."""
    src = page.locator("#qr").get_attribute("src")
    target = parse_qs(urlparse(src).query)["text"][0]
    return parse_qs(urlparse(target).query)["sender"][0]


def _smallest_text(page) -> float:
    """The smallest font size of any visible text on the kiosk screen, in px."""
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.kiosk-frame *')]
            .filter((e) => e.offsetParent !== null && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
            .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""
    )


def _first_item(page):
    return page.locator("#themes .theme").first.locator("button.item").first


def test_kiosk_idle_reset_forgets_the_conversation(page, live):
    page.goto(f"{live.url}/kiosk?idle=5")
    item = _first_item(page)
    expect(item).to_be_visible()
    name = item.inner_text()
    old = _qr_sender(page)
    assert old.startswith("kiosk-")
    item.click()
    card = page.locator("#log .msg.bot").last
    expect(card).to_contain_text(f"办理{name}需要以下材料")
    assert live.rasa.received[-1] == {"sender": old, "message": name}
    assert live.app.state.store.conversation(old)["channel"] == "kiosk"
    # This citizen prefers standard type; the next one starts in elder mode again.
    page.get_by_role("button", name="标准模式").click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    # Not kept in the browser: the next citizen must not inherit it.
    assert page.evaluate("JSON.stringify(localStorage)") == "{}"

    # 5 s without a touch: the question (in the page, not a pop-up), then 10 s of countdown, then
    # the reset.
    question = page.get_by_role("region", name="还在吗？")
    expect(question).to_be_visible(timeout=8_000)
    expect(question).to_contain_text("秒后将清除本次咨询记录")
    expect(page.get_by_role("button", name="我还在，继续咨询")).to_be_focused()
    assert page.get_by_role("dialog").count() == 0
    expect(page.locator("#log .msg")).to_have_count(0, timeout=14_000)
    expect(question).to_be_hidden()
    expect(page.get_by_role("heading", name="请选择您要咨询的事项")).to_be_visible()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    new = _qr_sender(page)
    assert new != old and new.startswith("kiosk-")
    deadline = time.monotonic() + 5
    while live.app.state.store.conversation(old) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live.app.state.store.conversation(old) is None
    assert live.app.state.store.transcript(old) == []
    assert page.errors == []


def test_kiosk_still_here_keeps_the_conversation(page, live):
    page.goto(f"{live.url}/kiosk?idle=5")
    _first_item(page).click()
    expect(page.locator("#log .msg.bot")).to_have_count(1)
    sender = _qr_sender(page)
    question = page.get_by_role("region", name="还在吗？")
    expect(question).to_be_visible(timeout=8_000)
    page.get_by_role("button", name="我还在，继续咨询").click()
    expect(question).to_be_hidden()
    expect(page.locator("#log .msg.bot")).to_have_count(1)
    assert _qr_sender(page) == sender
    assert live.app.state.store.conversation(sender) is not None
    # Asked again: a key answers it too, and focus comes back to the question box.
    expect(question).to_be_visible(timeout=8_000)
    page.keyboard.press("Enter")
    expect(question).to_be_hidden()
    expect(page.get_by_label("也可以直接输入您的问题")).to_be_focused()
    expect(page.locator("#log .msg.bot")).to_have_count(1)
    assert _qr_sender(page) == sender


def test_kiosk_prints_the_checklist_and_offers_the_phone(page, live, residence_code, until):
    # Count print() calls instead of opening a print dialog.
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    page.goto(f"{live.url}/kiosk")
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "90")
    expect(page.locator("#themes button.item").first).to_be_visible()
    assert _smallest_text(page) >= 20
    page.get_by_label("也可以直接输入您的问题").fill("居住证")
    page.get_by_role("button", name="提问").click()
    page.get_by_role("button", name="南海区").click()
    card = page.locator("#log .msg.bot").last
    expect(card).to_contain_text("居住证申领")
    expect(card.get_by_role("button", name="有帮助")).to_be_visible()
    assert _smallest_text(page) >= 20
    card.get_by_role("button", name="打印材料清单").click()
    checklist = live.app.state.searcher.backend.get(residence_code)
    expect(page.locator("#print-title")).to_have_text(f"{checklist['事项名称']} · 申请材料清单")
    # print() follows the filling in the same task. (Not page.wait_for_function: its polling uses
    # eval, which the page's CSP rightly refuses.)
    assert page.evaluate("window.__printed") == 1
    assert page.locator("#print-rows tr").count() >= 1
    page.emulate_media(media="print")
    expect(page.locator("#print-view")).to_be_visible()
    expect(page.locator("#log")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator("#print-view")).to_be_hidden()

    # The guide link opens inside the kiosk, in place of the answers: not a new window, not a
    # pop-up; its way back returns focus to the link.
    card.get_by_role("link").click()
    viewer = page.get_by_role("region", name="办事指南")
    expect(viewer).to_be_visible()
    expect(page.locator("#log")).to_be_hidden()
    expect(page.frame_locator("#viewer-frame").locator("body")).to_contain_text(checklist["事项名称"])
    page.get_by_role("button", name="返回咨询记录").click()
    expect(viewer).to_be_hidden()
    expect(card.get_by_role("link")).to_be_focused()
    assert len(page.context.pages) == 1

    qr = page.locator("#qr")
    expect(qr).to_have_attribute("src", re.compile(r"^/api/qr\?text="))
    until(page, "document.querySelector('#qr').naturalWidth > 0")  # the SVG loaded
    assert page.errors == []
