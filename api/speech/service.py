"""Reading an answer aloud: normalized, voiced, synthesized once, then served from the cache.

    >>> speech = Speech(Espeak(), SpeechCache(Path("var/cache/speech")))
    >>> wav, cached = speech.audio("咨询电话：12345", "yue")
    >>> wav[:4], cached
    (b'RIFF', False)

espeak-ng takes a core while it runs; at most ``concurrency`` run at once in a process, so a burst
of requests waits its turn instead of starving the chat (the API has two cores). A request that
waits longer than the engine's timeout is told the service is busy.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .cache import SpeechCache
from .espeak import Espeak, SpeechFailed
from .reading import for_reading
from .voices import VOICES


class NothingToSay(ValueError):
    """The text had nothing left to read once links and symbols were dropped."""


class SpeechBusy(SpeechFailed):
    """Every synthesis slot stayed taken for the whole timeout."""


class Speech:
    def __init__(self, engine: Espeak, cache: SpeechCache, *, spoken_chars: int = 240, concurrency: int = 2):
        self.engine = engine
        self.cache = cache
        self.spoken_chars = spoken_chars
        self._slots = threading.BoundedSemaphore(concurrency)

    @classmethod
    def from_settings(cls, settings) -> "Speech":
        engine = Espeak(settings.espeak_command, rate=settings.speech_rate, timeout=settings.speech_timeout)
        cache = SpeechCache(settings.resolved_speech_cache_dir(), max_bytes=settings.speech_cache_mb * 2**20)
        return cls(engine, cache, spoken_chars=settings.speech_spoken_chars)

    def available(self) -> bool:
        return self.engine.available()

    def spoken(self, text: str, lang: str) -> str:
        """What is said for ``text`` (characters; the Mandarin voice is then given pinyin)."""
        return for_reading(text, lang, self.spoken_chars)

    def audio(self, text: str, lang: str) -> tuple[bytes, bool]:
        """The WAV of ``text`` read in ``lang``, and whether it came from the cache."""
        voice = VOICES[lang]
        spoken = self.spoken(text, lang)
        if not spoken.strip(" ，。、；：！？"):
            raise NothingToSay("这段文字没有可以朗读的内容")
        given = voice.prepare(spoken)
        key = self.cache.key(voice.espeak, self.engine.rate, given)
        wav = self.cache.get(key)
        if wav is not None:
            return wav, True
        if not self._slots.acquire(timeout=self.engine.timeout):
            raise SpeechBusy("朗读服务繁忙")
        try:
            wav = self.cache.get(key)  # made by another request while this one waited
            if wav is not None:
                return wav, True
            wav = self.engine.synthesize(voice.espeak, given)
        finally:
            self._slots.release()
        self.cache.put(key, wav)
        return wav, False
