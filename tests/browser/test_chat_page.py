"""The web chat (/) in Chromium: a question, a button, an answer with feedback, links, the
hand-off to a person, errors, and the phone layout."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


def _sender(page) -> str:
    return page.evaluate("localStorage.getItem('guide.sender')")


def test_question_button_answer_feedback_and_links(page, live, residence_code):
    page.goto(f"{live.url}/")
    box = page.get_by_label("输入您的问题")
    box.fill("南海办居住证要带什么材料")
    box.press("Enter")
    log = page.get_by_role("log")
    expect(log.get_by_text("请问您在哪个区办理？")).to_be_visible()
    sender = _sender(page)
    assert live.rasa.received[-1] == {"sender": sender, "message": "南海办居住证要带什么材料"}

    log.get_by_role("button", name="南海区").click()
    # The citizen's bubble says the title; Rasa got the payload.
    expect(log.locator(".msg.user").last).to_have_text(re.compile("南海区"))
    expect(log.get_by_text(re.compile("办理居住证申领需要以下材料"))).to_be_visible()
    assert live.rasa.received[-1]["message"] == '/inform_region{"region": "南海区"}'
    # The choice is spent: the region buttons are disabled now.
    expect(log.get_by_role("button", name="天河区")).to_be_disabled()

    answer = log.locator(".msg.bot").last
    link = answer.get_by_role("link", name="查看办事指南")  # this site's page by name, not its path
    expect(link).to_have_attribute("href", f"/api/items/{residence_code}/guide")
    expect(link).to_have_attribute("rel", "noopener noreferrer")

    before = live.app.state.store.ratings()["helpful"]
    answer.get_by_role("button", name="有帮助").click()
    expect(answer.get_by_text(re.compile("谢谢您的反馈"))).to_be_visible()
    assert live.app.state.store.ratings()["helpful"] == before + 1
    answer.get_by_role("button", name="4 星").click()
    expect(answer.get_by_text("谢谢您的评分（4 星）！")).to_be_visible()
    by_item = {row["item_code"]: row for row in live.app.state.store.ratings()["by_item"]}
    assert by_item[residence_code]["average"] == 4.0
    assert page.errors == []


def test_application_link_and_qr_code(page, live, until):
    page.goto(f"{live.url}/")
    page.get_by_label("输入您的问题").fill("我要申请居住证")
    page.get_by_role("button", name="发送").click()
    answer = page.locator(".msg.bot").last
    link = answer.get_by_role("link", name="打开预填申请表")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(live.url)}/apply/[^/]+$"))
    expect(answer).to_contain_text("小时内有效")
    qr = answer.get_by_role("img", name=re.compile("申请表二维码"))
    expect(qr).to_have_attribute("src", re.compile(r"^/apply/[^/]+/qr\.svg$"))
    until(page, "document.querySelector('.apply .qr').naturalWidth > 0")  # the SVG loaded
    # The personal data stayed on the server: the page has the link, not the fields.
    assert "13800138000" not in page.content()
    token = link.get_attribute("href").rsplit("/", 1)[1]
    assert live.app.state.drafts.open(token)["applicant"]["name"] == "张三"
    assert page.errors == []


def test_server_text_is_never_markup(page, live):
    """A reply that looks like HTML shows as text, and only http(s) links become links."""
    original = live.rasa.reply
    live.rasa.reply = lambda message: [{"text": '<img src=x onerror="window.hacked=1"> <b>粗体</b> javascript:alert(1) 详见https://www.gdzwfw.gov.cn/x办理。'}]
    try:
        page.goto(f"{live.url}/")
        page.get_by_label("输入您的问题").fill("测试")
        page.get_by_role("button", name="发送").click()
        answer = page.locator(".msg.bot").last
        expect(answer).to_contain_text('<img src=x onerror="window.hacked=1"> <b>粗体</b>')
    finally:
        live.rasa.reply = original
    assert answer.locator("img, b").count() == 0
    links = answer.get_by_role("link")
    expect(links).to_have_count(1)
    # The Chinese text around it is not part of the link.
    expect(links).to_have_attribute("href", "https://www.gdzwfw.gov.cn/x")
    assert page.evaluate("window.hacked") is None


def test_suggestion_chip_and_a_failing_server_gets_a_polite_message(page, live):
    page.goto(f"{live.url}/")
    page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(status=500, body="Internal Server Error"))
    page.get_by_role("button", name="补办身份证去哪里办").click()
    log = page.get_by_role("log")
    expect(log.locator(".msg.user").last).to_have_text(re.compile("补办身份证去哪里办"))
    expect(log.locator(".msg.bot.error")).to_contain_text("服务暂时繁忙")
    expect(log).not_to_contain_text("Internal Server Error")
    page.route("**/webhooks/rest/webhook", lambda route: route.abort())
    page.get_by_label("输入您的问题").fill("再试一次")
    page.get_by_role("button", name="发送").click()
    expect(log.locator(".msg.bot.error").last).to_contain_text("网络连接似乎中断了")


def test_sender_is_kept_and_can_be_handed_over_by_link(page, live):
    page.goto(f"{live.url}/")
    first = _sender(page)
    assert re.fullmatch(r"web-[0-9a-f-]{36}", first)
    page.reload()
    assert _sender(page) == first
    page.goto(f"{live.url}/?sender=kiosk-continued-1")
    assert _sender(page) == "kiosk-continued-1"
    assert "sender=" not in page.url  # not left in the address bar
    page.get_by_label("输入您的问题").fill("出生登记要带什么")
    page.get_by_label("输入您的问题").press("Enter")
    expect(page.locator(".msg.bot").last).to_contain_text("出生登记")
    assert live.rasa.received[-1]["sender"] == "kiosk-continued-1"


def test_handoff_shows_the_agents_messages_until_handed_back(page, live):
    page.goto(f"{live.url}/")
    page.get_by_role("button", name="转人工").click()
    status = page.locator("#handoff")
    expect(status).to_contain_text("已转人工")
    sender = _sender(page)
    assert live.app.state.store.conversation(sender)["status"] == "waiting"
    live.app.state.conversations.agent_reply(sender, "您好，我是 12345 话务员小陈，请问有什么可以帮您？")
    agent = page.locator(".msg.agent")
    expect(agent).to_contain_text("您好，我是 12345 话务员小陈")
    expect(agent.locator(".who")).to_have_text("人工客服")
    expect(status).to_contain_text("人工客服正在为您服务")
    live.app.state.conversations.close_handoff(sender)
    expect(page.locator(".msg.system").last).to_contain_text("人工服务已结束")
    expect(status).to_be_hidden()
    # Polling stopped: no more status requests once the conversation is back with the assistant.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/status" in r.url else None)
    page.wait_for_timeout(3500)
    assert requests == []


def test_phone_layout_has_input_and_send_on_screen(browser, live):
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live.url}/")
        box = page.get_by_label("输入您的问题")
        send = page.get_by_role("button", name="发送")
        for element in (box, send):
            expect(element).to_be_visible()
            rect = element.bounding_box()
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 375, rect
            assert rect["y"] + rect["height"] <= 667, rect
            assert rect["height"] >= 44  # a finger-sized target
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # Still so after a long answer with a long link.
        box.fill("居住证")
        send.tap()
        expect(page.get_by_role("button", name="南海区")).to_be_visible()
        page.get_by_role("button", name="南海区").tap()
        expect(page.locator(".msg.bot .link").last).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        rect = page.get_by_role("button", name="发送").bounding_box()
        assert rect["y"] + rect["height"] <= 667  # the input stays at the bottom of the screen
    finally:
        context.close()
