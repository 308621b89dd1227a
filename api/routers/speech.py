"""Read-aloud: an answer the assistant gave, spoken in Mandarin or Cantonese.

    GET  /api/speech   {"available": true, "voices": [{"lang": "cmn", "label": "普通话"}, …], …}
    POST /api/speech   {"sender": "kiosk-…", "text": "<an answer, as the webhook returned it>", "lang": "yue"}
                       → audio/wav (X-Speech-Cache: hit | miss)

Only what the assistant said to that conversation is read: the text must match one of its
replies in the transcript (compared masked, as the transcript keeps it), so the route is no free
text-to-speech service. Each conversation and each client address has its own token bucket
(:mod:`api.ratelimit`, apart from the chat's: listening never costs a turn), and the text is
capped at :data:`api.schemas.SPEECH_MAX_CHARS`. Without espeak-ng the answer is 503 with a clear
message, and ``available`` tells the pages to hide their speaker buttons.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response

from index.personal import mask

from ..deps import SpeechDep, StoreDep
from ..ratelimit import SharedRateLimiter
from ..schemas import SPEECH_MAX_CHARS, SpeechIn, SpeechStatusOut
from ..speech import VOICES, NothingToSay, SpeechBusy, SpeechFailed, SpeechUnavailable, UnavailableRecognizer

router = APIRouter(tags=["speech"])
logger = logging.getLogger(__name__)

UNAVAILABLE = "语音朗读暂不可用：服务器未安装 espeak-ng。"
NOT_SAID = "只能朗读助手在本次对话中的回答。"
# Several kiosks or phones behind one router or proxy share an address: it gets a bigger bucket.
ADDRESS_SHARE = 5


@router.get("/api/speech", response_model=SpeechStatusOut)
def speech_status(speech: SpeechDep) -> dict:
    """What the pages may offer: speaker buttons when espeak-ng is there, no microphone yet."""
    return {
        "available": speech.available(),
        "voices": [{"lang": voice.lang, "label": voice.label} for voice in VOICES.values()],
        "max_chars": SPEECH_MAX_CHARS,
        "recognition": UnavailableRecognizer.available,
    }


def limiters(shared, settings) -> dict[str, SharedRateLimiter]:
    """The buckets of :func:`speak`, kept in the API's shared state (one for every worker): one
    per conversation at the chat's rate, one per client address :data:`ADDRESS_SHARE` times as big."""
    per_minute, burst = settings.rate_limit_per_minute, settings.rate_limit_burst
    return {
        "speech": SharedRateLimiter(shared, per_minute, burst),
        "speech-ip": SharedRateLimiter(shared, per_minute * ADDRESS_SHARE, burst * ADDRESS_SHARE),
    }


def _limit(request: Request, sender: str) -> None:
    buckets = request.app.state.speech_limiters
    address = request.client.host if request.client else "unknown"
    for key in (f"speech:{sender}", f"speech-ip:{address}"):
        limiter = buckets[key.partition(":")[0]]
        if not limiter.allow(key):
            wait = max(1, round(limiter.retry_after(key)))
            raise HTTPException(429, detail=f"朗读请求太频繁，请 {wait} 秒后再试。", headers={"Retry-After": str(wait)})


def _said(store, sender: str, text: str) -> bool:
    """Whether the assistant said ``text`` to ``sender`` (its transcript keeps replies masked)."""
    masked = mask(text)
    return any(message["text"] == masked for message in store.transcript(sender, roles=("bot",)))


@router.post(
    "/api/speech",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}, "description": "the answer, spoken"}, 503: {"description": "no espeak-ng"}},
)
def speak(body: SpeechIn, request: Request, speech: SpeechDep, store: StoreDep) -> Response:
    if not speech.available():
        raise HTTPException(503, detail=UNAVAILABLE)
    _limit(request, body.sender)
    if not _said(store, body.sender, body.text):
        raise HTTPException(403, detail=NOT_SAID)
    try:
        wav, cached = speech.audio(body.text, body.lang)
    except NothingToSay as exc:
        raise HTTPException(422, detail=f"{exc}（链接和符号不朗读）。") from exc
    except SpeechUnavailable as exc:
        raise HTTPException(503, detail=UNAVAILABLE) from exc
    except SpeechBusy as exc:
        raise HTTPException(503, detail="朗读服务繁忙，请稍后再试。", headers={"Retry-After": "5"}) from exc
    except SpeechFailed as exc:
        logger.warning("read-aloud failed: %s", exc)
        raise HTTPException(503, detail="这条回答暂时无法朗读，请稍后再试。") from exc
    # The page keeps the decoded sound itself (read-aloud.js); the server's copy is the cache.
    headers = {"Cache-Control": "no-store", "X-Speech-Cache": "hit" if cached else "miss"}
    return Response(wav, media_type="audio/wav", headers=headers)
