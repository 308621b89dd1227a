"""Exceptions raised by the item-standards index.

    >>> from index.errors import BatchError
    >>> try:
    ...     loader.read_batch(["bad.jsonl"])
    ... except BatchError as exc:
    ...     for problem in exc.problems:
    ...         print(problem)        # bad.jsonl, line 3 (实施编码 X): 承诺办结时限: ...

Hierarchy::

    IndexError_ (base of everything below)
    ├── BatchError        a batch of records has problems; nothing was changed
    ├── ItemNotFound      no record with that 实施编码
    └── BackendUnavailable  the search backend cannot be reached or is not built
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is, which field, and what.

    ``where`` names the file and the record (line for JSON Lines, position and line for a JSON
    array), ``code`` the record's 实施编码 when it could be read, ``field`` a path such as
    ``申请材料[2].材料名称`` (empty when the whole record or file is at fault).
    """

    file: str
    where: str
    field: str
    message: str
    code: str | None = None
    # True when the whole file is refused (not UTF-8), not just one record of it.
    whole_file: bool = False

    def __str__(self) -> str:
        record = f" (实施编码 {self.code})" if self.code else ""
        field = f"{self.field}: " if self.field else ""
        return f"{self.file}, {self.where}{record}: {field}{self.message}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "where": self.where,
            "code": self.code,
            "field": self.field,
            "message": self.message,
        }


class IndexError_(Exception):
    """Base class of the index's errors (named with a trailing underscore to leave the builtin alone)."""


class BatchError(IndexError_):
    """A batch of item-standard records has problems; the live index was not changed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the batch; nothing was loaded:\n{lines}{more}")


class ItemNotFound(IndexError_, KeyError):
    """No record with the given 实施编码 is loaded."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(f"no item with 实施编码 {code!r}")

    def __str__(self) -> str:  # KeyError's repr-quoting would hide the message
        return self.args[0]


class BackendUnavailable(IndexError_):
    """The search backend cannot be reached (Elasticsearch down) or has no index yet."""
