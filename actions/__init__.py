"""The assistant's custom actions (rasa_sdk), thin: each reads the tracker and calls the Guide.

Nothing is opened at import; :func:`warm` opens the index, the offices and the encoder before a
citizen's first turn (``bot.inprocess`` calls it when the actions run inside Rasa).
"""


def warm() -> None:
    """Open the index and answer one question, so the first citizen does not wait for it."""
    from .actions import get_guide
    from .state import State

    guide = get_guide()
    guide.searcher.warm()
    guide.ask("居住证要带什么材料", None, State())
