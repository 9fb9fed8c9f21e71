"""The intake model: one vocabulary of features and one linear head per field (category,
department, urgent, repair scope, complaint class, repeat, second topic).

Trained by ``voice.intake.training`` (scikit-learn); read here with numpy alone, so drafting
needs no training library and a model file is data, never code: an ``.npz`` of arrays loaded
with ``allow_pickle=False`` plus a JSON header (when and on what it was trained, how well it
did under cross-validation).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

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
    names: list[str]
    contrib: np.ndarray  # (features present, every head's classes)
    scores: np.ndarray  # every head's classes


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

    # -- reading -------------------------------------------------------------------------
    def vectorize(self, tokens: list[str]) -> Vector:
        """tf-idf with sublinear tf, l2-normalised (what TfidfVectorizer computed in
        training), with every head's contributions computed at once."""
        counts = Counter(tokens)
        vocab = self.vocabulary
        names = [t for t in counts if t in vocab]
        cols = np.array([vocab[t] for t in names], dtype=np.int64)
        tf = np.array([counts[t] for t in names], dtype=np.float32)
        vals = (1.0 + np.log(tf)) * self.idf[cols] if len(names) else tf
        norm = float(np.sqrt(np.dot(vals, vals)))
        if norm:
            vals = vals / norm
        contrib = self._rows[cols] * vals[:, None]  # (m, all heads' classes)
        return Vector(cols, vals, names, contrib, contrib.sum(axis=0) + self._bias)

    def predict(self, name: str, v: Vector, reasons: int = 0) -> Prediction:
        head = self.heads[name]
        lo, hi = self._span[name]
        scores = v.scores[lo:hi]
        if hi - lo == 1:  # a yes/no head: one score, sigmoid
            p1 = 1.0 / (1.0 + math.exp(-float(scores[0])))
            k, prob = (1, p1) if p1 >= 0.5 else (0, 1.0 - p1)
            row = v.contrib[:, lo] if k == 1 else -v.contrib[:, lo]
        else:
            e = np.exp(scores - scores.max())
            probs = e / e.sum()
            k = int(probs.argmax())
            prob, row = float(probs[k]), v.contrib[:, lo + k]
        top: list[str] = []
        if reasons and len(row):
            top = [v.names[i] for i in np.argsort(-row)[:reasons] if row[i] > 0]
        return Prediction(head.classes[k], round(float(prob), 3), top)

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


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> IntakeModel:
    return IntakeModel.load(Path(path))


def load_model(path: Path | None = None) -> IntakeModel:
    """The model at ``path`` (the shipped default when None), loaded once per file version."""
    p = path or SHIPPED
    try:
        mtime = p.stat().st_mtime
    except OSError as exc:
        raise ModelError(f"intake model {p} is missing: {exc.strerror}") from exc
    return _load_cached(str(p), mtime)


def newest_model(models_dir: Path | None) -> Path | None:
    """The newest model `frontdesk intake train` wrote under ``<models>/intake``, if any."""
    if models_dir is None:
        return None
    found = sorted((models_dir / "intake").glob("intake-*.npz"))
    return found[-1] if found else None
