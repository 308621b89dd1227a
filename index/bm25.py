"""BM25 exactly as Lucene (and so Elasticsearch) computes it, for the embedded backend.

    >>> from index.bm25 import idf, encoded_length
    >>> idf(doc_freq=3, doc_count=100)
    3.3623...
    >>> encoded_length(7), encoded_length(40)      # lengths over 23 lose precision as in Lucene
    (7, 40)

Elasticsearch scores a ``term`` clause as ``boost * idf * freq / (freq + k1 * (1 - b + b * dl /
avgdl))`` with ``idf = ln(1 + (N - n + 0.5) / (n + 0.5))``, N the number of documents that have
the field, and ``dl`` the field length after Lucene's one-byte norm encoding. The embedded index
uses the same formula, the same parameters and the same length encoding, so that both backends
rank the same data the same way.
"""

from __future__ import annotations

import math

import numpy as np

K1 = 1.2
B = 0.75


def _long_to_int4(i: int) -> int:
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


_MAX_INT4 = _long_to_int4(2**31 - 1)
_NUM_FREE_VALUES = 255 - _MAX_INT4


def int_to_byte4(i: int) -> int:
    """Lucene's SmallFloat.intToByte4: the norm byte stored for a field of ``i`` tokens."""
    if i < _NUM_FREE_VALUES:
        return i
    return _NUM_FREE_VALUES + _long_to_int4(i - _NUM_FREE_VALUES)


def byte4_to_int(b: int) -> int:
    """Lucene's SmallFloat.byte4ToInt: the length BM25 sees for a stored norm byte."""
    if b < _NUM_FREE_VALUES:
        return b
    return _NUM_FREE_VALUES + _int4_to_long(b - _NUM_FREE_VALUES)


def encoded_length(length: int) -> int:
    return byte4_to_int(int_to_byte4(length))


def idf(doc_freq: int, doc_count: int) -> float:
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def term_scores(tfs: np.ndarray, lengths: np.ndarray, avgdl: float) -> np.ndarray:
    """The BM25 tf part for each posting, given the (encoded) field lengths of those documents."""
    norm = K1 * ((1 - B) + B * lengths / avgdl)
    return tfs / (tfs + norm)
