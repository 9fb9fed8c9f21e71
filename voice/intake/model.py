"""The intake model: one vocabulary of features and one linear head per field (category,
department, urgent, repair scope, complaint class, repeat, second topic).

Trained by ``voice.intake.training`` (scikit-learn); read here with numpy alone, so drafting
needs no training library and a model file is data, never code: an ``.npz`` of arrays loaded
with ``allow_pickle=False`` plus a JSON header (when and on what it was trained, how well it
did under cross-validation).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voice.intake.features import token_parts, token_parts_many

SHIPPED = Path(__file__).with_name("default_model.npz")
NONE = "None"  # the label of "no value" (no second topic, not a repair …)


class ModelError(ValueError):
    """A model file that cannot be read as an intake model."""


@dataclass
class Head:
    classes: list[str]
    coef: np.ndarray  # (k, n) float32; k = 1 for a yes/no head
    intercept: np.ndarray  # (k,)


@dataclass
class Prediction:
    label: str
    probability: float
    # the features that pushed hardest toward the label (for the agent's "why")
    reasons: list[str] = field(default_factory=list)


@dataclass
class Vector:
    cols: np.ndarray
    vals: np.ndarray
    keys: tuple[str, ...]  # the model's feature names by column
    contrib: np.ndarray  # (features present, every head's classes)
    scores: np.ndarray  # every head's classes
    # per head's class: the score (yes/no heads) or the softmax probability (the others)
    outputs: list[float] = field(default_factory=list)
    # reasons worked out ahead (vectorize_calls): a predicted class's column → (how many,
    # the top features' columns and contributions in _reasons' order)
    ranked: dict[int, tuple[int, list[int], list[float]]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [self.keys[c] for c in self.cols]


@dataclass
class IntakeModel:
    vocabulary: dict[str, int]
    idf: np.ndarray
    heads: dict[str, Head]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every head's weights side by side, feature-major: one gather per call, not per head
        self._rows = np.ascontiguousarray(np.vstack([h.coef for h in self.heads.values()]).T)
        self._bias = np.concatenate([h.intercept for h in self.heads.values()])
        self._span: dict[str, tuple[int, int]] = {}
        at = 0
        for n, h in self.heads.items():
            self._span[n] = (at, at + h.coef.shape[0])
            at += h.coef.shape[0]
        # the many-class heads' columns side by side: one softmax for all of them per call
        multi = [(lo, hi) for lo, hi in self._span.values() if hi - lo > 1]
        self._multi_cols = np.array([c for lo, hi in multi for c in range(lo, hi)], np.int64)
        self._multi_lens = np.array([hi - lo for lo, hi in multi], np.int64)
        self._multi_starts = np.concatenate([[0], np.cumsum(self._multi_lens)[:-1]]).astype(np.int64)
        self._multi_head = np.repeat(np.arange(len(multi)), self._multi_lens)  # each column's head
        # every head's outputs from [scores, softmax probabilities] in one gather
        gather = list(range(len(self._bias)))
        for j, c in enumerate(self._multi_cols.tolist()):
            gather[c] = len(gather) + j
        self._outputs_at = np.array(gather, np.int64)
        # a tuple of strings: the collector never walks it
        self._keys = tuple(sorted(self.vocabulary, key=self.vocabulary.__getitem__))
        # reasons of equal weight (features that always went together in training, 钥 匙 钥匙
        # 钥匙在): the words evidence shows first, two-character grams before three, then the
        # rest (single characters, cues, the agent's words), each kind in the order first heard
        self._tie = np.array([5 - len(k) if k.startswith("c:") and len(k) in (4, 5) else 2
                              for k in self._keys], np.int8)  # fmt: skip
        # the character n-grams as numbers (gram_code), sorted, with their columns beside: a
        # call's n-grams are all looked up in one binary search, no string made for one
        grams = sorted((gram_code(t[2:]), i) for t, i in self.vocabulary.items()
                       if t.startswith("c:") and 1 <= len(t) - 2 <= 3)  # fmt: skip
        # a last code above any n-gram's: every search lands on an entry
        self._gram_codes = np.array([c for c, _ in grams] + [np.iinfo(np.int64).max], np.int64)
        self._gram_cols = np.array([i for _, i in grams] + [-1], np.int64)

    # -- reading -------------------------------------------------------------------------
    def vectorize(self, tokens: list[str]) -> Vector:
        """tf-idf with sublinear tf, l2-normalised (what TfidfVectorizer computed in
        training), with every head's contributions computed at once."""
        counts = Counter(tokens)
        vocab = self.vocabulary
        names = [t for t in counts if t in vocab]
        cols = np.array([vocab[t] for t in names], dtype=np.int64)
        tf = np.array([counts[t] for t in names], dtype=np.float32)
        return self._weigh(cols, tf)

    def vectorize_call(self, caller: str, agent: str = "") -> Vector:
        """``vectorize(tokens(caller, agent))``, the same numbers in the same order, faster:
        the character n-grams are numbered and looked up all at once (numpy), so the Python
        work per call is one count of the columns found, in first-heard order."""
        before, text, after = token_parts(caller, agent)
        codes = gram_codes(text)
        at = self._gram_codes.searchsorted(codes)
        seq = self._gram_cols[at[self._gram_codes[at] == codes]]  # the n-grams' columns
        word = self.vocabulary.get
        head = [c for c in map(word, before) if c is not None]
        tail = [c for c in map(word, after) if c is not None]
        if head or tail:  # no column of a word is an n-gram's
            seq = np.concatenate((np.array(head, np.int64), seq, np.array(tail, np.int64)))
        return self._weigh(*_first_heard_counts(seq))

    def vectorize_calls(
        self, calls: Sequence[tuple[str, str]], reasons: Sequence[tuple[str, int]] = ()
    ) -> list[Vector]:
        """``[vectorize_call(caller, agent) for caller, agent in calls]``, the same numbers,
        with the work shared by all calls done once: every n-gram of every call looked up in
        one binary search, the columns of all calls counted in one sort, their weights and
        every head's contributions in one gather, and the softmax of all calls at once.
        ``reasons``: many-class heads and how many reasons of its predicted class each call
        will be asked for, ranked for all calls in one sort per head."""
        parts = token_parts_many(calls)
        n = len(parts)
        if not n:
            return []
        lens = [len(t) for _, t, _ in parts]
        o = np.add(np.frombuffer("".join(t for _, t, _ in parts).encode("utf-32-le", "surrogatepass"),
                                 dtype=np.uint32), 1, dtype=np.int64)  # fmt: skip
        one = o << 42
        two = one[:-1] | (o[1:] << 21)
        codes = np.concatenate((one, two, two[:-1] | o[2:]))
        at = self._gram_codes.searchsorted(codes)
        found = np.where(self._gram_codes[at] == codes, self._gram_cols[at], -1)
        # each call's columns in vectorize_call's order: words before, 1-, 2-, 3-grams, after
        word = self.vocabulary.get
        pieces: list = []
        sizes = []
        n1, n2 = len(one), len(one) + len(two)
        s = 0
        for (before, _, after), k in zip(parts, lens, strict=True):
            head = [c for c in map(word, before) if c is not None]
            tail = [c for c in map(word, after) if c is not None]
            k2, k3 = max(k - 1, 0), max(k - 2, 0)
            if head:
                pieces.append(np.array(head, np.int64))
            pieces += (found[s : s + k], found[n1 + s : n1 + s + k2], found[n2 + s : n2 + s + k3])
            if tail:
                pieces.append(np.array(tail, np.int64))
            sizes.append(len(head) + k + k2 + k3 + len(tail))
            s += k
        seq = np.concatenate(pieces)
        doc = np.repeat(np.arange(n, dtype=np.int64), sizes)
        keep = seq >= 0
        cols, tf, doc = _first_heard_counts_many(seq[keep], doc[keep], len(self.idf))
        bounds = np.searchsorted(doc, np.arange(n + 1)).tolist()
        vals = (1.0 + np.log(tf)) * self.idf[cols]
        # the norm of each call as _weigh takes it (np.dot of its own values)
        norms = []
        for a, b in itertools.pairwise(bounds):
            v = vals[a:b]
            norms.append(math.sqrt(float(np.dot(v, v))) or 1.0)
        vals = vals / np.repeat(np.array(norms, np.float32), np.diff(bounds))
        contrib = self._rows.take(cols, axis=0) * vals[:, None]
        scores = _sums_in_order(contrib, doc, bounds) + self._bias
        out = scores.copy()
        if len(self._multi_cols):
            sc, st, ln = scores[:, self._multi_cols], self._multi_starts, self._multi_lens
            e = np.exp(sc - np.repeat(np.maximum.reduceat(sc, st, axis=1), ln, axis=1))
            out[:, self._multi_cols] = e / np.repeat(np.add.reduceat(e, st, axis=1), ln, axis=1)
        keys = self._keys
        vectors = [Vector(cols[a:b], vals[a:b], keys, contrib[a:b], scores[d], o)
                   for d, ((a, b), o) in enumerate(zip(itertools.pairwise(bounds), out.tolist(),
                                                       strict=True))]  # fmt: skip
        for head in reasons if len(cols) else ():
            self._rank_ahead(vectors, head, out, contrib, cols, doc, bounds)
        return vectors

    def _rank_ahead(self, vectors: list[Vector], reasons: tuple[str, int], out: np.ndarray,
                    contrib: np.ndarray, cols: np.ndarray, doc: np.ndarray,
                    bounds: list[int]) -> None:  # fmt: skip
        """Each call's top ``n`` features for its predicted class of head ``name``, as
        _reasons ranks them (by contribution, equals by _tie and then in the order first
        heard), for all calls in one sort."""
        name, n = reasons
        lo, hi = self._span[name]
        if hi - lo < 2:
            return
        at = lo + out[:, lo:hi].argmax(axis=1)  # predict's class: the first of equals
        row = contrib[np.arange(len(doc)), at[doc]]
        order = np.lexsort((self._tie.take(cols), -row, doc))
        ranked, by = row[order], doc[order]
        rank = np.arange(len(doc)) - np.array(bounds, np.int64)[by]
        keep = rank < n
        top_cols, top_vals = cols[order][keep].tolist(), ranked[keep].tolist()
        k = 0
        for d, (a, b) in enumerate(itertools.pairwise(bounds)):
            m = min(n, b - a)
            vectors[d].ranked[int(at[d])] = (n, top_cols[k : k + m], top_vals[k : k + m])
            k += m

    def _weigh(self, cols: np.ndarray, tf: np.ndarray) -> Vector:
        vals = (1.0 + np.log(tf)) * self.idf[cols] if len(cols) else tf
        # float32 sqrt is math.sqrt rounded to float32 (a correctly rounded double rounds
        # to the correctly rounded float), which the division does: numpy keeps a Python
        # float's operand in the array's float32
        norm = math.sqrt(float(np.dot(vals, vals)))
        if norm:
            vals = vals / norm
        contrib = self._rows.take(cols, axis=0) * vals[:, None]  # (m, all heads' classes)
        # (numpy's own calls, not the Python wrappers of sum and repeat: the same numbers)
        scores = np.add.reduce(contrib, axis=0) + self._bias
        if not len(self._multi_cols):
            return Vector(cols, vals, self._keys, contrib, scores, scores.tolist())
        s = scores.take(self._multi_cols)
        e = np.exp(s - np.maximum.reduceat(s, self._multi_starts).take(self._multi_head))
        e /= np.add.reduceat(e, self._multi_starts).take(self._multi_head)
        outputs = np.concatenate((scores, e)).take(self._outputs_at).tolist()
        return Vector(cols, vals, self._keys, contrib, scores, outputs)

    def predict(self, name: str, v: Vector, reasons: int = 0) -> Prediction:
        head = self.heads[name]
        lo, hi = self._span[name]
        if hi - lo == 1:  # a yes/no head: one score, sigmoid
            p1 = 1.0 / (1.0 + math.exp(-v.outputs[lo]))
            k, prob = (1, p1) if p1 >= 0.5 else (0, 1.0 - p1)
        else:
            probs = v.outputs[lo:hi]
            prob = max(probs)
            k = probs.index(prob)  # the first of equals, as argmax
        top = self._reasons(lo, hi, k, v, reasons) if reasons else []
        return Prediction(head.classes[k], round(float(prob), 3), top)

    def reasons(self, name: str, v: Vector, label: str, n: int) -> list[str]:
        """``predict(name, v, n).reasons`` for the label already predicted: asked for only
        when a draft shows them."""
        lo, hi = self._span[name]
        return self._reasons(lo, hi, self.heads[name].classes.index(label), v, n)

    def _reasons(self, lo: int, hi: int, k: int, v: Vector, n: int) -> list[str]:
        if not len(v.cols):
            return []
        ahead = v.ranked.get(lo + k) if hi - lo > 1 else None
        if ahead is not None and n <= ahead[0]:
            keys = self._keys
            return [keys[c] for c, r in zip(ahead[1][:n], ahead[2][:n], strict=True) if r > 0]
        if hi - lo == 1:
            row = v.contrib[:, lo] if k == 1 else -v.contrib[:, lo]
        else:
            row = v.contrib[:, lo + k]
        top = (-row).argsort()[: n + 1]
        vals = row[top].tolist()
        keys = self._keys
        if not any(a == b and b > 0 for a, b in itertools.pairwise(vals)):
            return [keys[c] for c, r in zip(v.cols[top[:n]].tolist(), vals[:n], strict=True) if r > 0]
        # equals decide which words and in what order: a fixed order (_tie, then first heard),
        # the same on every machine (argsort's own order of equals is its algorithm's, which
        # numpy picks by CPU). The positive features at least as heavy as the n-th, ranked.
        floor = vals[min(n, len(vals)) - 1]
        at = np.flatnonzero(row >= floor) if floor > 0 else np.flatnonzero(row > 0)
        w, cols = row.take(at).tolist(), v.cols.take(at).tolist()
        tie = self._tie.take(cols).tolist()
        ranked = sorted(range(len(w)), key=lambda j: (-w[j], tie[j]))[:n]
        return [keys[cols[j]] for j in ranked]

    # -- files ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "vocabulary": np.array(sorted(self.vocabulary, key=self.vocabulary.get)),
            "idf": self.idf.astype(np.float32),
            "header": np.array(json.dumps(
                {"meta": self.meta, "heads": {n: h.classes for n, h in self.heads.items()}},
                ensure_ascii=False,
            )),
        }  # fmt: skip
        for n, h in self.heads.items():
            arrays[f"coef:{n}"] = h.coef.astype(np.float32)
            arrays[f"intercept:{n}"] = h.intercept.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntakeModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                vocab = {str(t): i for i, t in enumerate(z["vocabulary"])}
                heads = {
                    n: Head(list(classes), z[f"coef:{n}"], z[f"intercept:{n}"])
                    for n, classes in header["heads"].items()
                }
                return cls(vocab, z["idf"], heads, header.get("meta", {}))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{path}: not an intake model ({exc})") from exc


def _first_heard_counts(seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``seq`` in the order first met and how often each is (as a
    Counter would give them), by one stable sort: no Python step per value."""
    n = len(seq)
    if not n:
        return seq, np.zeros(0, np.float32)
    perm = seq.argsort(kind="stable")
    ordered = seq[perm]
    edge = np.empty(n + 1, bool)
    edge[0] = edge[n] = True
    np.not_equal(ordered[1:], ordered[:-1], out=edge[1:n])
    edges = edge.nonzero()[0]
    starts = edges[:-1]
    counts = (edges[1:] - starts).astype(np.float32)
    first = perm[starts].argsort()  # each value's first place, in the order met
    return ordered[starts[first]], counts[first]


def _first_heard_counts_many(
    seq: np.ndarray, doc: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_first_heard_counts`` of each call's part of ``seq`` (``doc``: the call of each
    value, ascending), all in one sort: (columns, counts, call of each)."""
    if not len(seq):
        return seq, np.zeros(0, np.float32), doc
    cols, counts = _first_heard_counts(doc * width + seq)
    of = cols // width
    return cols - of * width, counts, of


_GROUP = 64  # calls summed together: the padding they share stays a few megabytes


def _sums_in_order(contrib: np.ndarray, doc: np.ndarray, bounds: list[int]) -> np.ndarray:
    """Each call's rows of ``contrib`` summed as ``contrib[a:b].sum(axis=0)`` sums them, one
    row after another (numpy's reduceat would sum pairwise, a different rounding): calls
    side by side in a zero-padded (row, call, class) block summed over its first axis."""
    n, k = len(bounds) - 1, contrib.shape[1]
    rank = np.arange(len(doc)) - np.repeat(np.array(bounds[:-1], np.int64), np.diff(bounds))
    out = np.empty((n, k), contrib.dtype)
    for g in range(0, n, _GROUP):
        h = min(n, g + _GROUP)
        a, b = bounds[g], bounds[h]
        longest = max((y - x for x, y in itertools.pairwise(bounds[g : h + 1])), default=0)
        block = np.zeros((max(longest, 1), h - g, k), contrib.dtype)
        block[rank[a:b], doc[a:b] - g] = contrib[a:b]
        out[g:h] = block.sum(axis=0)
    return out


def gram_code(gram: str) -> int:
    """A character 1-3-gram as one integer: each code point + 1 in 21 bits, the first
    highest, so grams of different lengths never share a number."""
    code = 0
    for k, ch in enumerate(gram):
        code |= (ord(ch) + 1) << (21 * (2 - k))
    return code


def gram_codes(text: str) -> np.ndarray:
    """``gram_code`` of every 1-, 2- and 3-gram of ``text``, in ``features.char_grams`` order
    (a 3-gram's code is its first 2-gram's with the third character added)."""
    o = np.add(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), 1,
               dtype=np.int64)  # fmt: skip
    one = o << 42
    two = one[:-1] | (o[1:] << 21)
    return np.concatenate((one, two, two[:-1] | o[2:]))


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> IntakeModel:
    return IntakeModel.load(Path(path))


CHECK_EVERY = 1.0  # seconds between two looks at a model file's time of change
_seen: dict[str, tuple[float, float]] = {}  # path → (when it was looked at, its mtime)


def load_model(path: Path | None = None) -> IntakeModel:
    """The model at ``path`` (the shipped default when None), loaded once per file version;
    the file is looked at (stat) at most once a second, not once per draft."""
    p = str(path or SHIPPED)
    now = time.monotonic()
    seen = _seen.get(p)
    if seen is None or now - seen[0] >= CHECK_EVERY:
        try:
            seen = _seen[p] = (now, Path(p).stat().st_mtime)
        except OSError as exc:
            _seen.pop(p, None)
            raise ModelError(f"intake model {p} is missing: {exc.strerror}") from exc
    return _load_cached(p, seen[1])


def newest_model(models_dir: Path | None) -> Path | None:
    """The newest model `frontdesk intake train` wrote under ``<models>/intake``, if any."""
    if models_dir is None:
        return None
    found = sorted((models_dir / "intake").glob("intake-*.npz"))
    return found[-1] if found else None
