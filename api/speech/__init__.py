"""Read-aloud for the kiosk and the web chat, and the (empty) place for speech input.

    >>> from api.speech import Speech
    >>> speech = Speech.from_settings(ApiSettings())
    >>> wav, cached = speech.audio("办结时限：20个工作日", "cmn")

- :mod:`.reading` and :mod:`.numbers`: an answer as it is read (links and markers dropped, phone
  numbers digit by digit, dates, times, amounts in words, long answers cut);
- :mod:`.voices`: Mandarin (pinyin to espeak-ng's ``cmn-latn-pinyin``) and Cantonese (``yue``);
- :mod:`.espeak`: the program, run without a shell and with a timeout;
- :mod:`.cache`: sounds on disk, bounded;
- :mod:`.recognition`: the ``SpeechRecognizer`` interface, unavailable by default.

The route is :mod:`api.routers.speech`.
"""

from .cache import SpeechCache
from .espeak import Espeak, SpeechFailed, SpeechUnavailable
from .recognition import RecognitionUnavailable, SpeechRecognizer, UnavailableRecognizer
from .service import NothingToSay, Speech, SpeechBusy
from .voices import VOICES

__all__ = [
    "Espeak", "NothingToSay", "RecognitionUnavailable", "Speech", "SpeechBusy", "SpeechCache", "SpeechFailed",
    "SpeechRecognizer", "SpeechUnavailable", "UnavailableRecognizer", "VOICES",
]
