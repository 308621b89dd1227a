"""Chinese analysis shared by every search backend: normalization, segmentation, query reading.

    >>> from index.analysis import Analyzer
    >>> analyzer = Analyzer.from_records(records)      # user dictionary from names and 日常用语
    >>> analyzer.document_fields(record)["name"]
    ['居住', '居住证', '签注', '签注居住证']
    >>> q = analyzer.query("喺边度辦暫住證啊？南海")
    >>> q.attributes, [d.full_name for d in q.regions], q.terms["name"][:2]
    (['location'], ['广东省佛山市南海区'], [('居住证', 1.0), ...])

Both backends index the token lists this module makes and search with the weighted terms it
reads from a query, so the embedded index and Elasticsearch see exactly the same analysis. The
steps, in order, for a query: NFKC and traditional → simplified folding; Cantonese and spoken
forms → Mandarin (``data/dialect.tsv``); region names → ``regions`` (taken out of the text);
attribute words (材料, 多久, 哪里办 …, ``data/attributes.tsv``) → ``attributes`` (taken out, so they
cannot drown the item words); the curated synonym table (``data/synonyms.tsv``) adds the
official words; one-character typos and homophones of dictionary words are corrected; then jieba
(search mode, with the user dictionary) gives the word terms, and character bigrams and pinyin
bigrams give terms that survive the typos no dictionary knows.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jieba
from pypinyin import Style, lazy_pinyin

from . import regions as regions_mod

WORD_FIELDS = ("name", "alias", "situation", "result", "theme", "body")
ALL_FIELDS = WORD_FIELDS + ("gram", "py", "char")

# Weights of query terms by where they came from: the citizen's own words count fully, words a
# correction guessed count less, so a correct spelling elsewhere in the index still wins.
W_OWN = 1.0
W_SYNONYM = 1.0
W_HOMOPHONE = 0.8
W_TYPO = 0.6
W_PART = 0.4
# A word of the 词林 (index.thesaurus) reaching a loaded record's word the citizen did not write.
W_THESAURUS = 0.5
# A procedure word of the loaded names for an everyday one (换个 → 变更, 丢了 → 补领).
W_PROCEDURE = 0.8
# A phrase of the loaded names for the citizen's short form of it (安评 → 安全评价).
W_SHORT_FORM = 0.8
MAX_QUERY_CHARS = 200

_NON_TEXT = re.compile(r"[^\w\u3400-\u9fff]+")
_PAREN_PARTS = re.compile(r"[（()）、，,/·\s]+")


def data_lines(name: str) -> Iterable[str]:
    """Non-empty, non-comment lines of a file in ``index/data``."""
    text = resources.files("index").joinpath("data", name).read_text("utf-8")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _pairs(name: str) -> list[tuple[str, str]]:
    pairs = []
    for line in data_lines(name):
        left, _, right = line.partition("\t")
        pairs.append((left.strip(), right.strip()))
    return pairs


@functools.cache
def _base_tokenizer() -> jieba.Tokenizer:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _fresh_tokenizer() -> jieba.Tokenizer:
    """A tokenizer with jieba's main dictionary, without reading it again (about a second)."""
    base = _base_tokenizer()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = dict(base.FREQ)
    tokenizer.total = base.total
    tokenizer.initialized = True
    return tokenizer


@functools.cache
def _opencc():
    import opencc  # imported lazily: its dictionaries load on first use

    return opencc.OpenCC("t2s")


@functools.cache
def dialect_table() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_pairs("dialect.tsv"), key=lambda p: -len(p[0])))


@functools.cache
def attribute_table() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_pairs("attributes.tsv"), key=lambda p: -len(p[0])))


@functools.cache
def synonym_table() -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = [(normalize(k), tuple(v.split())) for k, v in _pairs("synonyms.tsv")]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@functools.cache
def procedure_table() -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = [(normalize(k), tuple(v.split())) for k, v in _pairs("procedure_words.tsv")]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@functools.cache
def stopwords() -> frozenset[str]:
    words: set[str] = set()
    for line in data_lines("stopwords.txt"):
        words.update(line.split())
    return frozenset(words)


def dictionary_has(word: str) -> bool:
    """Whether jieba's general dictionary holds the word."""
    return bool(_base_tokenizer().FREQ.get(word))


@functools.lru_cache(maxsize=20_000)
def plain_words(text: str) -> tuple[str, ...]:
    """Words by jieba's general dictionary alone, without stopwords: what a name says word by word
    (an analyzer's dictionary holds every loaded name whole)."""
    stop = stopwords()
    return tuple(t for t in _base_tokenizer().cut(text) if t.strip() and t not in stop and not _NON_TEXT.fullmatch(t))


@functools.lru_cache(maxsize=100_000)
def normalize(text: str) -> str:
    """Fold width, traditional characters and case; drop control characters.

    >>> normalize("辦理　護照？ABC")
    '办理 护照?abc'
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _opencc().convert(text)
    return text.lower().strip()


def _replace_phrases(text: str, table: Iterable[tuple[str, str]]) -> str:
    for spoken, plain in table:
        if spoken in text:
            text = text.replace(spoken, plain)
    return text


def fold_dialect(text: str) -> str:
    """Turn Cantonese and spoken forms into Mandarin: 喺边度 → 在哪里."""
    return _replace_phrases(text, dialect_table())


def take_attributes(text: str) -> tuple[str, list[str]]:
    """Remove attribute phrases from ``text``; return the rest and the attributes, in order.

    Phrases are matched as written, then by sound, so that typed homophones (咨询电化, 要多就)
    still say what is asked.
    """
    found: list[tuple[int, str]] = []
    for phrase, attribute in attribute_table():
        start = text.find(phrase)
        while start >= 0:
            found.append((start, attribute))
            text = text[:start] + " " * len(phrase) + text[start + len(phrase) :]
            start = text.find(phrase)
    sounds = _attribute_sounds()
    for run in re.finditer(r"[\u3400-\u9fff]{2,}", text):
        syllables = pinyin_of(run.group(0))
        if len(syllables) != len(run.group(0)):
            continue
        # A sound-alike must not cut a word in two: 那离婚 is not 哪里 + 婚.
        bounds = {run.start() + start for _, start, _ in jieba.tokenize(run.group(0))} | {run.end()}
        for size in (4, 3, 2):
            for i in range(len(syllables) - size + 1):
                attribute = sounds.get(" ".join(syllables[i : i + size]))
                start = run.start() + i
                if start not in bounds or start + size not in bounds:
                    continue
                if attribute and text[start : start + size].strip() == text[start : start + size]:
                    found.append((start, attribute))
                    text = text[:start] + " " * size + text[start + size :]
    attributes: list[str] = []
    for _, attribute in sorted(found):
        if attribute not in attributes:
            attributes.append(attribute)
    return text, attributes


# Sound-alikes too common to read as an attribute (问一句 is not 依据).
_SOUND_EXCLUDED = {"依据", "几天", "窗口", "周末", "几点", "开门", "资格", "条件"}


@functools.cache
def _attribute_sounds() -> dict[str, str]:
    sounds: dict[str, str] = {}
    for phrase, attribute in attribute_table():
        if 2 <= len(phrase) <= 4 and phrase not in _SOUND_EXCLUDED:
            syllables = pinyin_of(phrase)
            if len(syllables) == len(phrase):
                sounds.setdefault(" ".join(syllables), attribute)
    return sounds


def pinyin_of(text: str) -> list[str]:
    """Toneless pinyin per Chinese character (other characters are skipped)."""
    chinese = "".join(ch for ch in text if "\u3400" <= ch <= "\u9fff")
    return lazy_pinyin(chinese, style=Style.NORMAL, errors="ignore") if chinese else []


# Cached: the implementations of one item across 1,700 divisions share their names.
@functools.lru_cache(maxsize=50_000)
def _char_bigrams(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for run in _NON_TEXT.split(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tuple(out)


def chars_of(text: str) -> list[str]:
    """Chinese characters, letters and digits of a text, one token each."""
    return [ch for ch in text if ch.isalnum()]


def char_bigrams(text: str) -> list[str]:
    return list(_char_bigrams(text))


@functools.lru_cache(maxsize=50_000)
def _pinyin_bigrams(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for run in _NON_TEXT.split(text):
        syllables = pinyin_of(run)
        if len(syllables) == 1:
            out.append(syllables[0])
        out.extend(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
    return tuple(out)


def pinyin_bigrams(text: str) -> list[str]:
    return list(_pinyin_bigrams(text))


def name_parts(name: str) -> list[str]:
    """An item name and its bracketed parts: 户口迁入（投靠亲属） → 户口迁入, 投靠亲属."""
    parts = [p for p in _PAREN_PARTS.split(normalize(name)) if p]
    whole = "".join(parts)
    return [whole] + [p for p in parts if p != whole]


@dataclass
class AnalyzedQuery:
    """What a citizen's text means to the search: terms per field, regions, attributes."""

    text: str
    normalized: str
    item_text: str
    regions: list[Any]
    attributes: list[str]
    terms: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    # the procedure words of the names for the citizen's everyday ones (补办 → 补领)
    procedures: list[str] = field(default_factory=list)
    # the corrections by sound only (公积金带款 → 公积金贷款): surer than one-character typos
    homophones: list[str] = field(default_factory=list)
    # normalized with Cantonese and spoken forms in Mandarin, regions and attributes still in
    folded: str = ""

    @property
    def empty(self) -> bool:
        return not any(self.terms.values())


class Analyzer:
    """Segmentation and query reading with a user dictionary built from the loaded items.

    Build one per index generation: the dictionary depends on the loaded names and 日常用语, and the
    same analyzer must tokenize the documents and the queries.
    """

    def __init__(self, lexicon: Iterable[str]):
        self.lexicon = sorted({w for w in lexicon if len(w) >= 2})
        self._jieba = _fresh_tokenizer()
        for word in self.lexicon:
            # A high frequency makes jieba keep our words whole: 签注居住证, not 签注/居住/证.
            self._jieba.add_word(word, freq=max(2000, 500 * len(word)))
        self._stop = stopwords()
        self._typo_index: dict[str, set[str]] = {}
        self._sound_index: dict[str, set[str]] = {}
        self._lexicon_set = set(self.lexicon)
        self._max_term = max((len(w) for w in self.lexicon), default=0)
        for word in self.lexicon:
            if 3 <= len(word) <= 10:
                for i in range(len(word)):
                    self._typo_index.setdefault(word[:i] + "?" + word[i + 1 :], set()).add(word)
            if 2 <= len(word) <= 10:
                sound = " ".join(pinyin_of(word))
                if sound.count(" ") + 1 == len(word):
                    self._sound_index.setdefault(sound, set()).add(word)
        self._cache: dict[str, list[str]] = {}

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> "Analyzer":
        return cls(lexicon_from(records))

    # -- tokenization ---------------------------------------------------------------------------

    def words(self, text: str) -> list[str]:
        """Search-mode jieba tokens of normalized text, without stopwords and punctuation."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        tokens = [t for t in self._search_mode(text) if t not in self._stop and not _NON_TEXT.fullmatch(t)]
        if len(self._cache) < 200_000:
            self._cache[text] = tokens
        return tokens

    def cut(self, text: str) -> list[str]:
        """Whole words (jieba's default mode with the user dictionary), without stopwords."""
        return [t for t in self._jieba.cut(text) if t.strip() and t not in self._stop and not _NON_TEXT.fullmatch(t)]

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word the loaded names, 日常用语 and 业务办理项 are indexed under."""
        return frozenset(t for word in self.lexicon for t in self.words(word))

    def _thesaurus_words(self, tokens: Iterable[str]) -> dict[str, float]:
        """词林 synonyms of the citizen's words that the records use and the citizen did not.

        买房 → 购买, 房屋 (to meet 提取住房公积金（购买自住住房）); a word the records already use
        is left alone, so 注销 never becomes 撤销.
        """
        from . import thesaurus

        vocabulary = self.vocabulary
        out: dict[str, float] = {}
        for token in tokens:
            if len(token) < 2 or token in vocabulary or token in self._stop:
                continue
            found = [s for s in thesaurus.synonyms(token) if len(s) >= 2 and s in vocabulary]
            weight = W_THESAURUS
            if not found and len(token) == 2:
                found = [s for ch in token for s in thesaurus.synonyms(ch) if len(s) >= 2 and s in vocabulary]
                weight = W_PART
            for synonym in found[:4]:
                out[synonym] = max(out.get(synonym, 0.0), weight)
        return out

    def _parts_marked(self, text: str) -> Iterator[tuple[str, bool]]:
        """Query words, each with whether it is only a part of a longer word of the query.

        The parts still count (a citizen's 医疗保险 should meet a name's 医疗), but less: else
        城乡居民 would count four times (城乡, 乡居, 居民, 城乡居民) and outvote the one word, 医疗,
        that tells two items apart.
        """
        whole = set(self._jieba.cut(text))
        for token in self.words(text):
            yield token, token not in whole

    def _search_mode(self, text: str) -> Iterator[str]:
        """jieba's words, each preceded by every dictionary word inside it.

        jieba's own search mode only emits the 2- and 3-character words inside a long word; item
        names are long words of the user dictionary, and 医疗保险 inside 城乡居民基本医疗保险参保登记
        must be found as well as 医疗.
        """
        freq = self._jieba.FREQ
        for word in self._jieba.cut(text):
            if not word.strip():
                continue
            size = len(word)
            if size > 2:
                for n in range(2, size):
                    for i in range(size - n + 1):
                        part = word[i : i + n]
                        if freq.get(part):
                            yield part
            yield word

    def document_fields(self, record: dict) -> dict[str, list[str]]:
        """The token lists a record is indexed under, one list per field of ``ALL_FIELDS``."""
        name = normalize(record.get("事项名称", ""))
        aliases = [normalize(a) for a in record.get("日常用语") or [] if isinstance(a, str)]
        situations = [
            normalize(s.get("名称", "")) for s in record.get("业务办理项") or [] if isinstance(s, dict)
        ]
        results = [normalize(r.get("名称", "")) for r in record.get("办理结果") or [] if isinstance(r, dict)]
        themes = [normalize(t) for t in record.get("事项主题分类") or [] if isinstance(t, str)]
        body = normalize(record.get("实施主体", ""))
        names = " ".join([name, *aliases])
        return {
            "name": self.words(name),
            "alias": [w for a in aliases for w in self.words(a)],
            "situation": [w for s in situations for w in self.words(s)],
            "result": [w for r in results for w in self.words(r)],
            "theme": [w for t in themes for w in self.words(t)],
            "body": self.words(body),
            "gram": char_bigrams(names),
            "py": pinyin_bigrams(names),
            "char": chars_of(names),
        }

    # -- queries --------------------------------------------------------------------------------

    def query(self, text: str) -> AnalyzedQuery:
        # A question is a sentence or two; a pasted page must not cost seconds of analysis.
        normalized = normalize(text[:MAX_QUERY_CHARS])
        folded = fold_dialect(normalized)
        found_regions, rest = regions_mod.take_regions(folded, self._item_word_spans(folded))
        rest, attributes = take_attributes(rest)
        expansions: list[str] = []
        covered = rest
        for phrase, canonical in synonym_table():
            if phrase in covered:
                expansions.extend(canonical)
                covered = covered.replace(phrase, " ")
        corrections = self._corrections(rest) + [(w, W_SHORT_FORM) for w in self._long_forms(rest)]
        weighted: dict[str, float] = {}

        def add(token: str, weight: float) -> None:
            if token not in self._stop and not _NON_TEXT.fullmatch(token):
                weighted[token] = max(weighted.get(token, 0.0), weight)

        for token, part in self._parts_marked(rest):
            add(token, W_OWN * (W_PART if part else 1.0))
        for phrase in expansions:
            for token, part in self._parts_marked(phrase):
                add(token, W_SYNONYM * (W_PART if part else 1.0))
        for word, weight in corrections:
            for token, part in self._parts_marked(word):
                add(token, weight * (W_PART if part else 1.0))
        vocabulary = self.vocabulary
        procedures: list[str] = []
        for phrase, words in procedure_table():
            if phrase in covered:
                for word in words:
                    if word in vocabulary:
                        add(word, W_PROCEDURE)
                        expansions.append(word)
                        procedures.append(word)
        covered_words = set(weighted)
        for token, weight in self._thesaurus_words(self.cut(covered)).items():
            if token not in covered_words:
                add(token, weight)
        content = " ".join(t for t in self._jieba.cut(rest) if t not in self._stop)
        grams = {g: W_OWN for g in char_bigrams(content)}
        sounds = {p: W_OWN for p in pinyin_bigrams(content)}
        for word, weight in corrections:
            for g in char_bigrams(word):
                grams[g] = max(grams.get(g, 0.0), weight)
        word_terms = sorted(weighted.items(), key=lambda kv: -kv[1])
        terms = {f: word_terms for f in WORD_FIELDS}
        terms["gram"] = sorted(grams.items())
        terms["py"] = sorted(sounds.items())
        # Single characters: what an index with no analysis at all matches on. They keep wording
        # no dictionary foresaw (安评 → 安全评价) from scoring nothing.
        terms["char"] = sorted({c: W_OWN for c in chars_of(content) if c not in self._stop}.items())
        return AnalyzedQuery(
            text=text,
            normalized=normalized,
            item_text=rest.strip(),
            regions=found_regions,
            attributes=attributes,
            terms=terms,
            expansions=expansions,
            corrections=[w for w, _ in corrections],
            procedures=procedures,
            homophones=[w for w, weight in corrections if weight >= W_HOMOPHONE],
            folded=folded,
        )

    def _item_word_spans(self, text: str) -> list[tuple[int, int]]:
        """Where the text has words of the item dictionary (three characters or more)."""
        return [
            (start, end)
            for word, start, end in self._jieba.tokenize(text)
            if len(word) >= 3 and word in self._lexicon_set
        ]

    @functools.cached_property
    def _short_forms(self):
        from .abbreviations import ShortForms

        return ShortForms(self.lexicon)

    def _long_forms(self, text: str) -> list[str]:
        """The records' phrases that the text's short forms stand for (安评 → 安全评价)."""
        tokens = [t for t in self._jieba.cut(text) if t.strip()]
        return self._short_forms.long_forms(tokens, self.vocabulary, self._jieba.FREQ, self._stop)

    def _corrections(self, text: str) -> list[tuple[str, float]]:
        """Dictionary words one typo or one homophone away from a stretch of the text."""
        out: dict[str, float] = {}
        for run in _NON_TEXT.split(text):
            # Pinyin of the whole run once (context picks the reading of 多音字), sliced per window;
            # runs with other characters than Chinese ones are left to the typo index.
            syllables = pinyin_of(run)
            sounds_ok = len(syllables) == len(run)
            for size in range(2, min(len(run), self._max_term) + 1):
                for start in range(len(run) - size + 1):
                    window = run[start : start + size]
                    if window in self._lexicon_set:
                        continue
                    if sounds_ok:
                        sound = " ".join(syllables[start : start + size])
                        for word in self._sound_index.get(sound, ()):
                            if word not in self._stop:
                                out[word] = max(out.get(word, 0.0), W_HOMOPHONE)
                    if size < 3:
                        continue
                    for i in range(size):
                        # An edge character next to a word already spelled right is not a typo of
                        # a longer word: 去领结婚证 is not 补领结婚证.
                        if i == 0 and window[1:] in self._lexicon_set or i == size - 1 and window[:-1] in self._lexicon_set:
                            continue
                        for word in self._typo_index.get(window[:i] + "?" + window[i + 1 :], ()):
                            out.setdefault(word, W_TYPO)
        return sorted(out.items())


def lexicon_from(records: Iterable[dict]) -> set[str]:
    """The user dictionary: item names and their parts, 日常用语, 业务办理项, results, synonyms."""
    words: set[str] = set()
    for record in records:
        words.update(name_parts(record.get("事项名称", "")))
        for alias in record.get("日常用语") or []:
            if isinstance(alias, str):
                words.add(normalize(alias))
        for key in ("业务办理项", "办理结果"):
            for part in record.get(key) or []:
                if isinstance(part, dict) and isinstance(part.get("名称"), str):
                    words.update(name_parts(part["名称"]))
    for phrase, canonical in synonym_table():
        words.add(phrase)
        words.update(canonical)
    return {w for w in words if w and len(w) <= 20}
