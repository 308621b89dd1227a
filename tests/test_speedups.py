"""bot/speedups.py: Rasa's per-turn waste removed, behaviour kept, and an upgrade that moves a
patched function fails here."""

import pytest
from jsonschema import ValidationError

from bot import speedups


def test_patched_functions_are_where_rasa_3_6_keeps_them():
    speedups.check()  # raises PatchTargetMoved after an upgrade that moves or reshapes them


def test_a_moved_target_is_reported(monkeypatch):
    monkeypatch.setattr(speedups, "TARGETS", (("rasa.core.actions.action", "RemoteAction._gone", []),))
    with pytest.raises(speedups.PatchTargetMoved, match="_gone"):
        speedups.check()


def test_action_results_are_still_validated_against_rasas_schema():
    from rasa.core.actions.action import RemoteAction

    speedups.apply()
    action = RemoteAction("action_answer_item", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "item_code", "value": "x"}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"name": "no event key"}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})


def test_the_validator_is_built_once():
    speedups.apply()
    assert speedups._action_validator() is speedups._action_validator()


def test_event_types_resolve_as_before():
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    speedups.apply()
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("nonsense", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("nonsense")


def test_an_event_class_defined_later_is_found():
    from rasa.shared.core.events import Event, SlotSet

    speedups.apply()
    Event.resolve_by_type("slot")  # table built

    class LateEvent(SlotSet):  # Event itself is abstract, and Rasa skips abstract classes
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent


def test_apply_is_idempotent():
    assert speedups.apply() == speedups.apply()


def test_the_regex_featurizer_compiles_its_patterns_once_and_finds_the_same():
    import re

    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.training_data.message import Message

    speedups.apply()
    featurizer = RegexFeaturizer.__new__(RegexFeaturizer)
    featurizer.case_sensitive = True
    featurizer.known_patterns = [{"name": "region", "pattern": "南海区|桂城街道"}, {"name": "fee", "pattern": "收费|多少钱"}]
    message = Message({"text": "南海区办证收费吗", "text_tokens": [Token("南海区", 0), Token("办证", 3), Token("收费", 5), Token("吗", 7)]})
    compiles = []
    original = re._compiler.compile
    re._compiler.compile = lambda p, flags=0: compiles.append(p) or original(p, flags)
    try:
        for _ in range(3):
            re.purge()  # as if re's cache had dropped them: the featurizer must not need it
            sequence, sentence = featurizer._features_for_patterns(message, "text")
    finally:
        re._compiler.compile = original
    assert sequence.toarray().tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    assert sentence.toarray().tolist() == [[1.0, 1.0]]
    assert sorted(compiles) == ["南海区|桂城街道", "收费|多少钱"]  # once each, whatever re's cache does
    assert isinstance(featurizer.known_patterns[0]["pattern"], str)  # what Rasa persists is unchanged
