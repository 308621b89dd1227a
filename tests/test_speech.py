"""Read-aloud: how answers are read (numbers, dates, times, amounts, links), the voices, and
POST /api/speech with the real espeak-ng (Debian's package) behind it.

The answer texts below are what the assistant says for records of the sample corpus
(data/sample/items.jsonl) with the responses of bot/domain.yml, copied verbatim. Without
espeak-ng the tests that need it are skipped, unless GUIDE_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import doctest
import io
import json
import os
import re
import shutil
import subprocess
import wave

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from api.speech import SpeechCache, SpeechRecognizer, UnavailableRecognizer, RecognitionUnavailable
from api.speech import numbers, reading, recognition, voices
from api.speech.reading import MORE, for_reading
from api.speech.voices import to_pinyin
from index.backends.embedded import EmbeddedBackend
from index.settings import IndexSettings

SOURCE = "（来源：事项标准 实施编码 11440604MB2BYTCQ8P4440125001001，第1版；示例数据：据真实法规编写，地址和电话仅为示意，请以当地政务服务网为准）"
PHONE = f"【有限责任公司设立登记】佛山市禅城区·佛山市禅城区市场监督管理局\n咨询电话：0757-82727515、0757-12315\n{SOURCE}"
HOURS = f"【有限责任公司设立登记】佛山市南海区·佛山市南海区市场监督管理局\n办理时间：星期一至星期五：上午9:00—12:00，下午14:00—17:30（法定节假日除外）\n{SOURCE}"
TIME_LIMIT = f"【不动产抵押登记】佛山市三水区·佛山市三水区不动产登记中心\n承诺办结时限：1个工作日（法定：30个工作日）\n{SOURCE}"
FEE = (
    "【不动产抵押登记】佛山市三水区·佛山市三水区不动产登记中心\n收费：不动产登记费（住宅类抵押权登记）：80元/件，由登记为抵押权人的一方缴纳；"
    "抵押权注销登记不收取登记费（依据：《财政部 国家发展改革委关于不动产登记收费有关政策问题的通知》（财税〔2016〕79号））\n" + SOURCE
)
COMPLAINT = (
    "【不动产抵押登记】佛山市三水区·佛山市三水区不动产登记中心\n对办理结果或服务不满意，可以：\n监督投诉电话：0757-12345\n"
    "行政复议：佛山市三水区人民政府（地址：佛山市三水区西南街道广海大道中12号；电话：0757-87721381）\n" + SOURCE
)
LEGAL = "【居民身份证补领】的设定依据：\n《中华人民共和国居民身份证法》（根据2011年10月29日中华人民共和国主席令第51号修正）第十一条\n" + SOURCE
MATERIALS = (
    "【居住证申领】佛山市南海区·桂城街道\n需要准备的材料：\n1. 居民身份证：原件1份\n2. 近期免冠照片：原件2张\n"
    "完整办事指南：http://127.0.0.1:8000/api/items/12440605MB2E/guide\n" + SOURCE
)
ANSWERS = [PHONE, HOURS, TIME_LIMIT, FEE, COMPLAINT, LEGAL, MATERIALS]

ESPEAK = shutil.which("espeak-ng")


def _needs_espeak():
    if ESPEAK is None:
        if os.environ.get("GUIDE_REQUIRE_SERVICES") == "1":
            pytest.fail("espeak-ng is required (GUIDE_REQUIRE_SERVICES=1): apt-get install espeak-ng")
        pytest.skip("espeak-ng is not installed")


# --- how an answer is read --------------------------------------------------------------------


@pytest.mark.parametrize("module", [numbers, reading, voices, recognition])
def test_the_usage_examples_in_the_docstrings_hold(module):
    result = doctest.testmod(module, optionflags=doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.failed == 0


def test_telephone_numbers_are_read_digit_by_digit_with_yao_for_one():
    spoken = for_reading(PHONE, "cmn")
    assert "咨询电话：零七五七，八二七二，七五幺五、零七五七，幺二三幺五。" in spoken
    spoken = for_reading(COMPLAINT, "cmn")
    assert "监督投诉电话：零七五七，幺二三四五" in spoken and "电话：零七五七，八七七二，幺三八幺" in spoken
    assert "广海大道中十二号" in spoken  # a house number is a number


def test_hotlines_and_mobiles_are_dialled_but_cantonese_says_yat_not_yao():
    text = "请拨打12345政务服务便民热线，或致电13800138000、400-123-4567。"
    assert for_reading(text, "cmn") == "请拨打幺二三四五政务服务便民热线，或致电幺三八，零零幺三，八零零零、四零零，幺二三，四五六七。"
    assert for_reading(text, "yue").startswith("请拨打一二三四五政务服务便民热线，或致电一三八，零零一三，八零零零")


def test_office_hours_are_read_as_times_on_the_twelve_hour_clock_after_xiawu():
    assert "星期一至星期五：上午九点到十二点，下午两点到五点半，法定节假日除外。" in for_reading(HOURS, "cmn")
    assert for_reading("8:30-12:00", "cmn") == "八点半到十二点。"


def test_counts_amounts_and_dates_are_read_as_numbers():
    assert "承诺办结时限：一个工作日，法定：三十个工作日。" in for_reading(TIME_LIMIT, "cmn")
    assert for_reading("20个工作日，2份，第2个，100元，¥1,200.5", "cmn") == "二十个工作日，两份，第二个，一百元，一千二百点五元。"
    spoken = for_reading(FEE, "cmn")
    assert "八十元每件" in spoken and "财税，二零一六，七十九号" in spoken
    assert "根据二零一一年十月二十九日中华人民共和国主席令第五十一号修正" in for_reading(LEGAL, "cmn")
    assert for_reading("2024年3月1日起，2024-03-05截止", "cmn") == "二零二四年三月一日起，二零二四年三月五日截止。"


def test_links_list_markers_and_the_source_note_are_not_read():
    spoken = for_reading(MATERIALS, "cmn")
    assert spoken == "居住证申领，佛山市南海区，桂城街道。需要准备的材料：居民身份证：原件一份。近期免冠照片：原件两张。完整办事指南。"
    assert for_reading("**注意**：详见 https://www.gdzwfw.gov.cn/x?y=1 ✓", "cmn") == "注意：详见。"


def test_no_digit_reaches_the_voice_where_a_digit_is_a_tone():
    for answer in ANSWERS + ["A4纸3份，5G，0.5%，1-2天，2019—2020年，020-12345转8001"]:
        spoken = for_reading(answer, "cmn", limit=0)
        assert not re.search(r"\d", spoken), spoken
        for token in to_pinyin(spoken).replace(",", " ").replace(".", " ").replace(":", " ").replace(";", " ").split():
            assert re.fullmatch(r"[a-zü]+[1-5]|[A-Za-z]+", token), (token, answer)


def test_pinyin_knows_words_that_the_voice_would_read_character_by_character():
    assert to_pinyin("银行重新办理，便宜") == "yin2 hang2 chong2 xin1 ban4 li3, pian2 yi5"


def test_a_long_answer_is_cut_at_a_sentence_and_points_to_the_screen():
    long = "\n".join(f"{n}. 第{n}项材料：原件1份，复印件1份" for n in range(1, 40))
    spoken = for_reading(long, "cmn", limit=120)
    assert spoken.endswith("。" + MORE) and len(spoken) <= 120 + len(MORE) + 1
    assert spoken[: -len(MORE)].endswith("复印件一份。")  # a whole item, not half of one


def test_speech_input_is_an_interface_whose_default_says_it_is_unavailable():
    recognizer = UnavailableRecognizer()
    assert isinstance(recognizer, SpeechRecognizer) and recognizer.available is False
    with pytest.raises(RecognitionUnavailable, match="语音输入暂不可用"):
        recognizer.recognize(b"RIFF", content_type="audio/wav", lang="cmn")


def test_the_cache_is_bounded_and_keeps_what_was_used_last(tmp_path):
    cache = SpeechCache(tmp_path, max_bytes=3000)
    keys = [cache.key("yue", 160, f"text {n}") for n in range(5)]
    for n, key in enumerate(keys):
        cache.put(key, bytes(1000))
        os.utime(tmp_path / f"{key}.wav", (n, n))  # a clock that ticks: file n used at second n
        if n == 1:
            assert cache.get(keys[0]) is not None  # used again: now the most recent
    assert cache.size() <= 3000
    assert cache.get(keys[4]) is not None and cache.get(keys[1]) is None


# --- the endpoint -----------------------------------------------------------------------------


class FakeRasa:
    """Answers every message with ``self.answer`` as the assistant's text."""

    def __init__(self, answer: str):
        self.answer = answer

    def handler(self, request: httpx.Request) -> httpx.Response:
        sender = json.loads(request.content)["sender"]
        return httpx.Response(200, json=[{"recipient_id": sender, "text": self.answer}])


@pytest.fixture
def make_client(tmp_path, mini_corpus):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    clients = []

    def make(answer: str = COMPLAINT, **settings) -> TestClient:
        settings = {"GUIDE_DATA_DIR": tmp_path, "speech_cache_dir": tmp_path / "speech", **settings}
        app = create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path), ApiSettings(**settings))
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        app.state.conversations.rasa = httpx.AsyncClient(transport=httpx.MockTransport(FakeRasa(answer).handler), base_url="http://rasa")
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def answer(client: TestClient, sender: str = "kiosk-1") -> str:
    replies = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "怎么投诉", "channel": "kiosk"}).json()
    return replies[0]["text"]


@pytest.fixture
def espeak_calls(monkeypatch):
    """Every espeak-ng run, as its argument list (the real program still runs)."""
    calls: list[list[str]] = []
    real_run = subprocess.run

    def run(argv, *args, **kwargs):
        if str(argv[0]).endswith("espeak-ng"):
            calls.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def wav_seconds(data: bytes) -> float:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as sound:
        assert sound.getnchannels() == 1 and sound.getsampwidth() == 2
        return sound.getnframes() / sound.getframerate()


def test_an_answer_comes_back_as_a_real_wav_and_the_second_time_from_the_cache(make_client, espeak_calls, tmp_path):
    _needs_espeak()
    client = make_client()
    text = answer(client)
    first = client.post("/api/speech", json={"sender": "kiosk-1", "text": text, "lang": "cmn"})
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "audio/wav" and first.headers["x-speech-cache"] == "miss"
    assert wav_seconds(first.content) > 5  # a whole answer, not a click
    assert len(espeak_calls) == 1 and espeak_calls[0][espeak_calls[0].index("-v") + 1] == "cmn-latn-pinyin"
    assert len(list((tmp_path / "speech").glob("*.wav"))) == 1

    again = client.post("/api/speech", json={"sender": "kiosk-1", "text": text, "lang": "cmn"})
    assert again.status_code == 200 and again.headers["x-speech-cache"] == "hit"
    assert again.content == first.content and len(espeak_calls) == 1  # espeak-ng did not run again


def test_cantonese_is_spoken_by_the_yue_voice(make_client, espeak_calls):
    _needs_espeak()
    client = make_client()
    text = answer(client)
    mandarin = client.post("/api/speech", json={"sender": "kiosk-1", "text": text})
    cantonese = client.post("/api/speech", json={"sender": "kiosk-1", "text": text, "lang": "yue"})
    assert cantonese.status_code == 200 and wav_seconds(cantonese.content) > 5
    assert cantonese.content != mandarin.content
    assert [call[call.index("-v") + 1] for call in espeak_calls] == ["cmn-latn-pinyin", "yue"]
    assert client.post("/api/speech", json={"sender": "kiosk-1", "text": text, "lang": "wuu"}).status_code == 422


def test_only_what_the_assistant_said_to_that_conversation_is_read(make_client, espeak_calls):
    client = make_client()
    text = answer(client, "kiosk-1")
    for sender, words in (("kiosk-1", "任意一段想让服务器朗读的文字"), ("kiosk-2", text)):
        refused = client.post("/api/speech", json={"sender": sender, "text": words})
        assert refused.status_code == 403 and refused.json() == {"detail": "只能朗读助手在本次对话中的回答。"}
    assert espeak_calls == []


def test_too_long_a_text_is_refused_with_a_clear_422(make_client, espeak_calls):
    client = make_client()
    refused = client.post("/api/speech", json={"sender": "kiosk-1", "text": "长" * 4001})
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "text"] and "4000" in error["msg"]
    assert espeak_calls == []


def test_without_espeak_the_api_says_so_with_503_and_the_status_tells_the_pages(make_client, tmp_path):
    client = make_client(espeak_command=str(tmp_path / "no-such-espeak-ng"))
    text = answer(client)
    assert client.get("/api/speech").json()["available"] is False
    refused = client.post("/api/speech", json={"sender": "kiosk-1", "text": text})
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == {"detail": "语音朗读暂不可用：服务器未安装 espeak-ng。"}


def test_the_status_lists_both_voices_and_no_speech_input(make_client):
    _needs_espeak()
    status = make_client().get("/api/speech").json()
    assert status == {
        "available": True,
        "voices": [{"lang": "cmn", "label": "普通话"}, {"lang": "yue", "label": "粤语"}],
        "max_chars": 4000,
        "recognition": False,
    }


def test_a_hung_espeak_is_killed_after_its_timeout(make_client, tmp_path):
    hung = tmp_path / "espeak-ng"
    hung.write_text("#!/bin/sh\nsleep 30\n")
    hung.chmod(0o755)
    client = make_client(espeak_command=str(hung), speech_timeout=0.5)
    refused = client.post("/api/speech", json={"sender": "kiosk-1", "text": answer(client)})
    assert refused.status_code == 503 and refused.json() == {"detail": "这条回答暂时无法朗读，请稍后再试。"}


def test_reading_aloud_is_rate_limited_per_conversation_apart_from_the_chat(make_client, espeak_calls):
    _needs_espeak()
    client = make_client(rate_limit_per_minute=1, rate_limit_burst=2)
    text = answer(client)
    codes = [client.post("/api/speech", json={"sender": "kiosk-1", "text": text}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert answer(client) == text  # the chat's own bucket still has a turn
