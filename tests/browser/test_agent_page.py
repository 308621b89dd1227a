"""The hotline agent console (/agent) in Chromium: the token login, search, the guide and manual,
sending a checklist, the hand-off queue and replying into a citizen's conversation."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def _login(page, token: str) -> None:
    page.get_by_label("坐席令牌").fill(token)
    page.get_by_role("button", name="登录").click()


def test_wrong_token_is_refused_and_asked_again(page, live):
    page.goto(f"{live.url}/agent")
    expect(page.get_by_role("heading", name="坐席登录")).to_be_visible()
    expect(page.get_by_label("坐席令牌")).to_be_focused()
    _login(page, "not-the-token")
    expect(page.get_by_role("alert")).to_have_text("令牌不正确，请重新输入。")
    expect(page.get_by_role("search")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('guide.agentToken')") is None

    # A token that stops working (here: replaced behind the page's back) brings the login back.
    _login(page, live.app.state.tokens["agent"])
    expect(page.get_by_role("search")).to_be_visible()
    page.evaluate("sessionStorage.setItem('guide.agentToken', 'revoked')")
    expect(page.get_by_role("heading", name="坐席登录")).to_be_visible(timeout=8_000)
    expect(page.get_by_role("alert")).to_contain_text("请重新输入令牌")
    assert page.errors == []


def test_search_open_guide_and_manual_and_send_checklist(page, live):
    page.goto(f"{live.url}/agent")
    _login(page, live.app.state.tokens["agent"])
    search = page.get_by_label("群众的问题或事项名称")
    expect(search).to_be_focused()
    # Logged in once per tab: a reload goes straight to the console.
    page.reload()
    expect(page.get_by_role("search")).to_be_visible()

    page.get_by_label("群众的问题或事项名称").fill("居住证")
    page.get_by_role("button", name="检索").click()
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    assert results.count() >= 3
    regions = results.locator(".region").all_inner_texts()
    assert all(regions) and any("南海区" in r or "天河区" in r or "番禺区" in r for r in regions), regions
    expect(results.first.locator(".score")).to_have_text(re.compile(r"相关度 \d+\.\d\d"))

    first = results.first
    name = first.locator(".name").inner_text()
    first.click()
    expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
    frame = page.frame_locator("#doc-frame")
    expect(frame.locator("body")).to_contain_text(name)
    expect(frame.locator("body")).to_contain_text("申请材料")
    page.get_by_role("tab", name="业务手册").click()
    expect(page.get_by_role("tab", name="业务手册")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#doc-frame")).to_have_attribute("src", re.compile(r"/manual$"))
    expect(frame.locator("body")).to_contain_text(name)

    # 复制答复 puts the plain-text checklist on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.get_by_role("button", name="复制答复").click()
    expect(page.locator("#copy-status")).to_have_text("已复制到剪贴板。")
    code = page.locator("#doc-frame").get_attribute("src").split("/")[-2]
    expected = page.request.get(f"{live.url}/api/items/{code}/checklist").json()["text"]
    assert page.evaluate("navigator.clipboard.readText()") == expected

    # An unknown region is the API's 422, shown as its message.
    page.get_by_label("行政区划（可选）").fill("火星")
    page.get_by_role("button", name="检索").click()
    expect(page.locator("#search-status")).to_contain_text("火星")
    page.get_by_label("行政区划（可选）").fill("")

    # Send the checklist: a refused recipient shows the API's reason, a good one the masked number.
    page.get_by_label("手机号码").fill("12345")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator("#send-status")).to_contain_text("未发送")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator("#send-status")).to_contain_text("已通过短信发送至")
    expect(page.locator("#send-status")).not_to_contain_text("13800138000")
    expect(page.locator("#sent tr").first).to_contain_text(name[:4])
    assert page.errors == []


def test_the_callers_answers_send_only_the_materials_that_apply(page, live):
    page.goto(f"{live.url}/agent")
    _login(page, live.app.state.tokens["agent"])
    page.get_by_label("群众的问题或事项名称").fill("投靠亲属 户口迁入")
    page.get_by_role("button", name="检索").click()
    page.locator("#results .result", has_text="投靠").first.click()
    which = page.get_by_label("您办理的是哪一种？")
    expect(which).to_be_visible()
    before = page.locator("#send-questions select").count()
    which.focus()  # a keyboard user's place is kept when the questions are drawn again
    which.select_option("夫妻投靠")
    expect(page.get_by_label("您办理的是哪一种？")).to_have_value("夫妻投靠")  # kept across the re-render
    expect(page.get_by_label("您办理的是哪一种？")).to_be_focused()
    assert page.locator("#send-questions select").count() <= before
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator("#send-status")).to_contain_text("已通过短信发送至")
    text = live.app.state.store.sent()[0]["text"]
    assert "按您的情况" in text and "结婚证" in text and "亲属关系证明" not in text
    assert page.errors == []


def test_queue_open_reply_and_close(page, live):
    store = live.app.state.store
    sender = "web-queue-test-1"
    store.add_message(sender, "citizen", "我想问社保转移的问题", channel="web")
    store.set_status(sender, "waiting", channel="web")
    page.goto(f"{live.url}/agent")
    _login(page, live.app.state.tokens["agent"])
    entry = page.locator(f'#queue button[data-sender="{sender}"]')
    expect(entry).to_contain_text("等待中")
    expect(entry).to_contain_text("我想问社保转移的问题")
    entry.click()
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("我想问社保转移的问题")
    expect(page.get_by_label("回复群众")).to_be_focused()
    page.get_by_label("回复群众").fill("您好，社保转移可以在粤省事办理。")
    page.get_by_role("button", name="发送回复").click()
    expect(transcript.locator(".line.agent")).to_contain_text("社保转移可以在粤省事办理")
    assert store.conversation(sender)["status"] == "human"
    assert [m["text"] for m in store.transcript(sender, roles=("agent",))] == ["您好，社保转移可以在粤省事办理。"]
    # The citizen writes again: it appears without reopening (polled).
    store.add_message(sender, "citizen", "好的谢谢", channel="web")
    expect(transcript).to_contain_text("好的谢谢", timeout=8_000)
    page.get_by_role("button", name="结束人工").click()
    expect(page.locator("#conversation")).to_be_hidden()
    assert store.conversation(sender)["status"] == "bot"
    expect(entry).to_have_count(0)
    assert page.errors == []


def test_wechat_citizen_past_the_window_is_to_be_called(page, live, tmp_path):
    """A WeChat conversation: the checklist's recipient is the open citizen's OpenID, and what
    WeChat may no longer deliver (here: the citizen never wrote within 48 hours) is an error that
    says to call; the reply stays in the box and out of the transcript; the sent list says why."""
    from api.outbox import RecordingSender
    from api.shared_state import SharedState
    from api.wechat_api import WeChatApi
    from api.wechat_sender import with_wechat

    store = live.app.state.store
    openid = "oBrowserWeChat_citizen-48h"
    store.add_message(openid, "citizen", "居住证怎么续签", channel="wechat")
    store.set_status(openid, "waiting", channel="wechat")
    # Nothing listens on port 9: refused in the window check, before any call could be made.
    api = WeChatApi("wx0123456789abcdef", "browser-test-secret", SharedState(tmp_path / "shared.sqlite"), base_url="http://127.0.0.1:9")
    recording = live.app.state.sender
    live.app.state.sender = with_wechat(RecordingSender(store), api, store)
    try:
        page.goto(f"{live.url}/agent")
        _login(page, live.app.state.tokens["agent"])
        page.locator(f'#queue button[data-sender="{openid}"]').click()
        page.get_by_label("回复群众").fill("您好，续签请带上居住证原件。")
        page.get_by_role("button", name="发送回复").click()
        status = page.locator("#conversation-status")
        expect(status).to_contain_text("回复未发出：无法再通过微信联系该市民")
        expect(status).to_contain_text("请改为电话联系")
        expect(status).to_have_class(re.compile(r"\berror\b"))
        expect(page.get_by_label("回复群众")).to_have_value("您好，续签请带上居住证原件。")
        expect(page.locator("#transcript .line.agent")).to_have_count(0)
        expect(page.locator("#sent tr").first).to_contain_text("无法送达，请电话联系")

        # The checklist: 微信 puts the open citizen's OpenID in the recipient box.
        page.get_by_label("群众的问题或事项名称").fill("居住证")
        page.get_by_role("button", name="检索").click()
        page.locator("#results .result").first.click()
        page.locator("#send-channel").select_option("wechat")
        expect(page.get_by_label("微信 OpenID")).to_have_value(openid)
        page.get_by_role("button", name="发送", exact=True).click()
        expect(page.locator("#send-status")).to_contain_text("未发送：无法再通过微信联系该市民")
        expect(page.locator("#send-status")).to_have_class(re.compile(r"\berror\b"))
    finally:
        live.app.state.sender = recording
        api.close()
        store.set_status(openid, "bot", channel="wechat")
    assert page.errors == []
