"""Rasa 3.6's per-turn waste, removed from outside site-packages.

    python -m bot.serve run -m models ...     # `rasa run ...` with these applied first

    >>> from bot import speedups
    >>> speedups.apply()                       # idempotent; returns the names of what it changed

Measured on this machine (``../shared/notes/rasa-speed.md``; README, Speed):

- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which checks the
  schema against the 2020-12 meta-schema on every action response (22–34 ms of CPU per
  action, half of the Rasa process's time under load). Here the validator is built once; the
  response is still validated against the same schema, with the same error.
- ``Event.resolve_by_type`` walks every Event subclass for each stored event on every tracker
  load; here the name → class table is built once (and again on a miss, so an Event class
  defined later is still found).
- ``skops.io`` scans ``sys.modules`` on import (seconds once TensorFlow is loaded); importing it
  first makes the model load faster.
- ``RegexFeaturizer`` passes its pattern strings to ``re.finditer`` on every message and leans
  on ``re``'s cache; in a worker the region lookup (24,031 characters, 38 ms to compile) was
  compiled again now and then (6% of a Rasa worker's time in a py-spy profile). Here each
  component compiles its patterns once and hands them to Rasa's own code.

:func:`check` raises :class:`PatchTargetMoved` when a Rasa upgrade renames or moves what is
patched; ``tests/test_speedups.py`` calls it, so an upgrade fails a test instead of silently
running unpatched.
"""

from __future__ import annotations

import functools
import importlib
import inspect

_APPLIED: list[str] = []

# (module, qualified name, parameters): what the patches replace, as Rasa 3.6.21 defines it.
TARGETS = (
    ("rasa.core.actions.action", "RemoteAction._validate_action_result", ["self", "result"]),
    ("rasa.core.actions.action", "RemoteAction.action_response_format_spec", []),
    ("rasa.shared.core.events", "Event.resolve_by_type", ["type_name", "default"]),
    ("rasa.nlu.featurizers.sparse_featurizer.regex_featurizer", "RegexFeaturizer._features_for_patterns",
     ["self", "message", "attribute"]),
)


class PatchTargetMoved(RuntimeError):
    """A function this module replaces is not where, or not what, it was in Rasa 3.6.21."""


def _lookup(module: str, qualname: str):
    owner = importlib.import_module(module)
    for part in qualname.split("."):
        owner = getattr(owner, part, None)
        if owner is None:
            raise PatchTargetMoved(f"{module}.{qualname} is gone: re-measure and re-do the patch")
    return owner


def check_targets(targets) -> None:
    """Raise :class:`PatchTargetMoved` unless each (module, qualified name, parameters) is as expected."""
    for module, qualname, parameters in targets:
        target = _lookup(module, qualname)
        found = list(inspect.signature(target).parameters)
        if found != parameters:
            raise PatchTargetMoved(f"{module}.{qualname} now takes {found}, not {parameters}: re-measure and re-do the patch")


def check() -> None:
    """Raise :class:`PatchTargetMoved` unless every patched function is as expected."""
    check_targets(TARGETS)


@functools.cache
def _action_validator():
    from jsonschema.validators import validator_for

    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, where Rasa does it on every call
    return cls(schema)


def _validate_action_result(self, result):
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match

    from rasa.shared.constants import DOCS_BASE_URL

    try:
        error = best_match(_action_validator().iter_errors(result))  # what jsonschema.validate raises
        if error is None:
            return True
        raise error
    except ValidationError as e:
        # Rasa's own message, so logs and docs still match.
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def _event_types() -> dict[str, type]:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    table: dict[str, type] = {}
    # First subclass wins for a name, as Rasa's walk returns the first match.
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def _resolver(original):
    table: dict[str, type] = {}

    def resolve_by_type(type_name, default=None):
        if type_name not in table:
            table.update(_event_types())  # again on a miss: an Event class defined since is found
        cls = table.get(type_name)
        return cls if cls is not None else original(type_name, default)  # topic, default or Rasa's error

    return staticmethod(resolve_by_type)


def _precompiled(original):
    """``RegexFeaturizer._features_for_patterns`` with its patterns compiled once per component."""
    import re

    def features_for_patterns(self, message, attribute):
        if not self.case_sensitive:  # Rasa passes re.IGNORECASE then, which a compiled pattern refuses
            return original(self, message, attribute)
        compiled = self.__dict__.get("_compiled_patterns")
        if compiled is None or compiled[0] is not self.known_patterns:
            compiled = (self.known_patterns, [{**p, "pattern": re.compile(p["pattern"])} for p in self.known_patterns])
            self.__dict__["_compiled_patterns"] = compiled
        strings, self.known_patterns = self.known_patterns, compiled[1]
        try:  # no await inside: no other turn sees the swap
            return original(self, message, attribute)
        finally:
            self.known_patterns = strings

    return features_for_patterns


def apply() -> list[str]:
    """Apply every patch once; the names of the patched functions."""
    if _APPLIED:
        return list(_APPLIED)
    importlib.import_module("skops.io")  # before TensorFlow: see the module's docstring
    check()
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer

    RegexFeaturizer._features_for_patterns = _precompiled(RegexFeaturizer._features_for_patterns)
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = _resolver(Event.resolve_by_type)
    _APPLIED.extend(["RemoteAction._validate_action_result", "Event.resolve_by_type",
                     "RegexFeaturizer._features_for_patterns"])
    return list(_APPLIED)
