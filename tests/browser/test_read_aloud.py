"""Read-aloud in Chromium: the kiosk's switch and language, the speaker button on each answer
(kiosk and web chat), the sound fetched from POST /api/speech and played through to its end,
and the pages without espeak-ng on the server.

No --autoplay-policy flag: sound starts from the citizen's own tap on the switch or a speaker
button (Playwright's clicks are real input events), as on a real kiosk; a test that needed the
flag would hide a page that plays before anyone touched it.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect


@pytest.fixture
def espeak():
    """The tests that hear something need espeak-ng; in CI (GUIDE_REQUIRE_SERVICES=1) it is there."""
    if shutil.which("espeak-ng") is None:
        if os.environ.get("GUIDE_REQUIRE_SERVICES") == "1":
            pytest.fail("espeak-ng is required (GUIDE_REQUIRE_SERVICES=1): apt-get install espeak-ng")
        pytest.skip("espeak-ng is not installed")


def _is_speech(response) -> bool:
    return response.url.endswith("/api/speech") and response.request.method == "POST"


def _ask_first_item(page):
    page.locator("#themes .theme").first.locator("button.item").first.click()
    card = page.locator("#log .msg.bot").last
    expect(card).to_contain_text("需要以下材料")
    return card


def test_kiosk_switch_reads_answers_aloud_and_off_silences_them(page, live, espeak):
    page.goto(f"{live.url}/kiosk")
    switch = page.get_by_role("switch", name="朗读回答")
    expect(switch).to_have_attribute("aria-checked", "false")  # every citizen starts in silence
    card = _ask_first_item(page)
    speaker = card.get_by_role("button", name="朗读这条回答")
    expect(speaker).to_be_hidden()

    with page.expect_response(_is_speech) as spoken:
        switch.click()  # on: the answer on screen is read at once
    response = spoken.value
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    assert json.loads(response.request.post_data)["lang"] == "cmn"
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(speaker).to_be_visible()
    expect(speaker).to_have_attribute("aria-pressed", "true")
    expect(speaker).to_have_attribute("data-state", "playing")
    # played through to its end by the audio clock: the button is at rest again by itself
    expect(speaker).to_have_attribute("data-state", "idle", timeout=30_000)
    expect(speaker).to_have_attribute("aria-pressed", "false")

    # Cantonese: the same answer asked again, in the other voice
    with page.expect_response(_is_speech) as spoken:
        page.get_by_role("group", name="朗读语言").get_by_role("button", name="粤语").click()
        speaker.click()
    assert json.loads(spoken.value.request.post_data)["lang"] == "yue" and spoken.value.status == 200
    expect(speaker).to_have_attribute("data-state", "playing")
    speaker.click()  # pressed again: stops
    expect(speaker).to_have_attribute("aria-pressed", "false")

    # Off: buttons gone, nothing read, not even a new answer
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(speaker).to_be_hidden()
    expect(page.get_by_role("group", name="朗读语言")).to_be_hidden()
    requests = []
    page.on("request", lambda request: requests.append(request.url) if request.url.endswith("/api/speech") else None)
    page.fill("#message", "换身份证要带什么")
    page.press("#message", "Enter")
    expect(page.locator("#log .msg.bot")).to_have_count(2)
    expect(page.locator("#log .read-aloud")).to_have_count(2)
    for button in page.locator("#log .read-aloud").all():
        expect(button).to_be_hidden()
    page.wait_for_timeout(500)
    assert requests == [] and page.errors == []


def test_kiosk_reads_each_new_answer_while_the_switch_is_on(page, live, espeak):
    page.goto(f"{live.url}/kiosk")
    page.get_by_role("switch", name="朗读回答").click()  # on before any answer: nothing to read yet
    with page.expect_response(_is_speech) as spoken:
        card = _ask_first_item(page)
    assert spoken.value.status == 200
    expect(card.get_by_role("button", name="朗读这条回答")).to_have_attribute("data-state", "playing")
    assert page.errors == []


def test_web_chat_has_a_speaker_button_on_each_answer_and_no_switch(page, live, espeak):
    page.goto(live.url)
    page.fill("#message", "换身份证要带什么")
    page.press("#message", "Enter")
    card = page.locator("#log .msg.bot").last
    expect(card).to_contain_text("需要以下材料")
    speaker = card.get_by_role("button", name="朗读这条回答")
    expect(speaker).to_be_visible()
    expect(page.locator("#log .msg.bot").first.locator(".read-aloud")).to_have_count(0)  # the greeting is the page's own
    assert page.get_by_role("switch").count() == 0
    with page.expect_response(_is_speech) as spoken:
        speaker.click()
    assert spoken.value.status == 200
    expect(speaker).to_have_attribute("aria-pressed", "true")
    expect(speaker).to_have_attribute("data-state", "playing")
    assert page.errors == []


@pytest.fixture
def no_espeak(live):
    engine = live.app.state.speech.engine
    command = engine.command
    engine.command = "/nonexistent/espeak-ng"
    yield
    engine.command = command


def test_without_espeak_the_pages_show_no_speaker(page, live, no_espeak):
    page.goto(f"{live.url}/kiosk")
    _ask_first_item(page)
    page.wait_for_timeout(300)  # time for a button to appear, were it going to
    assert page.get_by_role("switch").count() == 0 and page.locator(".read-aloud").count() == 0
    page.goto(live.url)
    page.fill("#message", "换身份证要带什么")
    page.press("#message", "Enter")
    expect(page.locator("#log .msg.bot").last).to_contain_text("需要以下材料")
    page.wait_for_timeout(300)
    assert page.locator(".read-aloud").count() == 0
    assert page.errors == []


def test_speakers_go_when_espeak_goes_after_the_page_loaded(page, live, espeak):
    page.goto(live.url)
    page.fill("#message", "换身份证要带什么")
    page.press("#message", "Enter")
    speaker = page.locator("#log .msg.bot").last.get_by_role("button", name="朗读这条回答")
    expect(speaker).to_be_visible()
    engine = live.app.state.speech.engine
    command, engine.command = engine.command, "/nonexistent/espeak-ng"
    try:
        with page.expect_response(_is_speech) as refused:
            speaker.click()
        assert refused.value.status == 503
        expect(page.locator(".read-aloud")).to_have_count(0)
    finally:
        engine.command = command
    assert page.errors == []
