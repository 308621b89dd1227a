"""The plain baseline the evaluation compares with: BM25 over single characters.

    >>> from index.baseline import CharBM25
    >>> baseline = CharBM25(records)
    >>> baseline.search("我想办居住证", limit=3)
    ['442106040001', '442106041001', …]          # 基本编码, best first

What a deployer gets from an off-the-shelf full-text index on Chinese without any work: the item
name and its 日常用语 (or, with ``whole_record=True``, every text of the record) as character
unigrams, Lucene's BM25, no user dictionary, no synonyms, no dialect or typo handling, no region
logic. Implementations of one item count once (their best score), as in the real search;
``key_of`` maps a 实施编码 to the item it belongs to (default: its 基本编码).
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np

from . import bm25


def _chars(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return [ch for ch in text if ch.isalnum()]


def _all_text(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _all_text(v)]
    if isinstance(value, dict):
        return [t for k, v in value.items() if not str(k).startswith("_") for t in _all_text(v)]
    return []


class CharBM25:
    def __init__(self, records: list[dict], *, whole_record: bool = False, key_of=None):
        self.base_codes: list[str] = []
        postings: dict[str, tuple[list[int], list[int]]] = {}
        lengths = []
        for doc, record in enumerate(records):
            key = key_of(record["实施编码"]) if key_of else None
            self.base_codes.append(key or record["基本编码"])
            if whole_record:
                text = " ".join(_all_text(record))
            else:
                text = " ".join([record.get("事项名称", ""), *(record.get("日常用语") or [])])
            chars = _chars(text)
            lengths.append(bm25.encoded_length(len(chars)))
            for ch, tf in Counter(chars).items():
                entry = postings.setdefault(ch, ([], []))
                entry[0].append(doc)
                entry[1].append(tf)
        self.lengths = np.asarray(lengths, dtype=np.float32)
        self.avgdl = float(self.lengths.mean()) if len(lengths) else 1.0
        self.postings = {
            ch: (np.asarray(ids, dtype=np.int32), np.asarray(tfs, dtype=np.float32))
            for ch, (ids, tfs) in postings.items()
        }

    def search(self, text: str, *, limit: int = 10) -> list[str]:
        scores = np.zeros(len(self.base_codes))
        for ch, qtf in Counter(_chars(text)).items():
            posting = self.postings.get(ch)
            if posting is None:
                continue
            ids, tfs = posting
            idf = bm25.idf(len(ids), len(self.base_codes))
            scores[ids] += qtf * idf * bm25.term_scores(tfs, self.lengths[ids], self.avgdl)
        ranked: list[str] = []
        for doc in np.argsort(-scores, kind="stable"):
            if scores[doc] <= 0 or len(ranked) >= limit:
                break
            code = self.base_codes[doc]
            if code not in ranked:
                ranked.append(code)
        return ranked
