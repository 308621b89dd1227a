"""The pre-filled application page (/apply/{token}, server-rendered by api/routers/apply.py) in
Chromium: a real draft shows the applicant and the way to apply online; a forged link is a clear
Chinese error page with a 4xx status, never a stack trace."""

from __future__ import annotations

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

APPLICANT = {"name": "张三", "mobile": "13800138000", "id_number": "11010519491231002X"}


def test_draft_link_opens_the_prefilled_application(page, live, residence_code):
    record = live.app.state.searcher.backend.get(residence_code)
    token = live.app.state.drafts.create(record, APPLICANT, situation=None, sender="t")
    response = page.goto(f"{live.url}/apply/{token}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(record["事项名称"])
    expect(page.get_by_label("姓名")).to_have_value("张三")
    expect(page.get_by_label("姓名")).to_have_attribute("readonly", "")
    expect(page.get_by_label("手机号码")).to_have_value(APPLICANT["mobile"])
    online = page.get_by_role("link", name="前往政务服务网在线办理")
    expect(online).to_have_attribute("href", record["在线办理地址"])
    expect(online).to_have_attribute("rel", "noopener noreferrer")
    expect(page.get_by_role("link", name="查看完整办事指南")).to_have_attribute("href", f"/api/items/{residence_code}/guide")
    # The checklist is there, one row per material.
    assert page.locator("table tbody tr").count() >= 1
    # A link with personal data is neither cached nor sent on as a Referer.
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    # The QR code of the same link (shown in the chat) is an SVG.
    qr = page.request.get(f"{live.url}/apply/{token}/qr.svg")
    assert qr.status == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert page.errors == []


@pytest.mark.parametrize("token", ["forged.token.value", "x" * 300, "%E5%BC%A0"])
def test_forged_link_is_a_clear_chinese_error_page(page, live, token):
    response = page.goto(f"{live.url}/apply/{token}")
    assert 400 <= response.status < 500
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("申请表链接无效")
    body = page.locator("body")
    expect(body).to_contain_text("请检查是否完整复制了链接")
    expect(body).not_to_contain_text("Traceback")
    expect(body).not_to_contain_text("Internal Server Error")
    expect(page.get_by_role("link", name="智能助手")).to_have_attribute("href", "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
