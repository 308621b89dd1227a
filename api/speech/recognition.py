"""Speech input, behind an interface: nothing here recognizes Chinese speech yet.

    >>> recognizer: SpeechRecognizer = UnavailableRecognizer()
    >>> recognizer.available
    False
    >>> recognizer.recognize(b"RIFF...", content_type="audio/wav", lang="cmn")
    Traceback (most recent call last):
    RecognitionUnavailable: 语音输入暂不可用，请用键盘或触屏输入问题。

No Mandarin or Cantonese recognition model can be installed on these machines, so the default
recognizer is one that says so. A real one (an on-premises engine, or a provincial speech
service) implements :class:`SpeechRecognizer` and is handed to the API in its place; the pages
offer a microphone only when ``available`` is true (``GET /api/speech`` reports it).

WeChat voice messages do not come through here: WeChat recognizes them itself and sends the
text in the message's ``Recognition`` field (see :mod:`api.routers.wechat`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class RecognitionUnavailable(RuntimeError):
    """No recognizer is configured: the citizen types or taps instead."""


@runtime_checkable
class SpeechRecognizer(Protocol):
    available: bool

    def recognize(self, audio: bytes, *, content_type: str, lang: str) -> str:
        """The words said in ``audio`` (``lang``: "cmn" or "yue"), as text."""
        ...


class UnavailableRecognizer:
    """The default: no recognition model is installed, and every call says so."""

    available = False

    def recognize(self, audio: bytes, *, content_type: str, lang: str) -> str:
        raise RecognitionUnavailable("语音输入暂不可用，请用键盘或触屏输入问题。")
