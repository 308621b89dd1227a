"""espeak-ng, run as a program: text in, a WAV file out.

    >>> engine = Espeak()
    >>> engine.available()
    True
    >>> wav = engine.synthesize("cmn-latn-pinyin", "ni3 hao3.")
    >>> wav[:4], wav[8:12]
    (b'RIFF', b'WAVE')

The program is started without a shell (the text goes to its standard input, never into a
command line) and killed when it runs past ``timeout``. It writes to a file rather than to
standard output because its streamed WAV header carries no length, and a browser then cannot
tell how long the sound is.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class SpeechUnavailable(RuntimeError):
    """espeak-ng is not installed (or not where the settings say)."""


class SpeechFailed(RuntimeError):
    """espeak-ng ran but gave no sound: an error, a timeout, an empty file."""


class Espeak:
    def __init__(self, command: str = "espeak-ng", *, rate: int = 160, timeout: float = 20.0):
        self.command = command
        self.rate = rate  # words (for Chinese: syllables) a minute; espeak's own default is 175
        self.timeout = timeout

    def executable(self) -> str | None:
        return shutil.which(self.command)

    def available(self) -> bool:
        return self.executable() is not None

    def synthesize(self, voice: str, text: str) -> bytes:
        """The WAV (22,050 Hz, 16-bit mono) of ``text`` spoken by ``voice``."""
        executable = self.executable()
        if executable is None:
            raise SpeechUnavailable(f"{self.command} is not installed")
        with tempfile.TemporaryDirectory(prefix="speech-") as folder:
            out = Path(folder) / "speech.wav"
            argv = [executable, "-v", voice, "-s", str(self.rate), "-b", "1", "-w", str(out), "--stdin"]
            try:
                done = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired as exc:  # run() has killed it
                raise SpeechFailed(f"espeak-ng took longer than {self.timeout:g} s") from exc
            except OSError as exc:  # removed or not executable since which() saw it
                raise SpeechUnavailable(f"{self.command} could not be started: {exc}") from exc
            wav = out.read_bytes() if out.exists() else b""
        if done.returncode != 0 or len(wav) <= 44:  # 44 bytes: a header and no sound
            message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
            raise SpeechFailed(f"espeak-ng gave no sound for voice {voice}: {message}")
        return wav
