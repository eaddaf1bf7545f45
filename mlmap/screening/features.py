"""Document features for the screening loop, computed once per corpus: TF-IDF, frozen sentence embeddings, both.

Active learning knows every document from the start, so TF-IDF's vocabulary and weights come from
the whole corpus (no label is involved). Embeddings are the pretrained encoder's, never fine-tuned,
and cached on disk per text: a corpus that shares texts with an earlier one (a variant is a subset
of the full data) only embeds the new ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .. import fingerprints
from ..paths import DEFAULT_CACHE_DIR
from .designs import EMBEDDING_MAX_LENGTH

EMBEDDING_CACHE_DIR = DEFAULT_CACHE_DIR.parent / "embeddings"

Embedder = Callable[[Sequence[str]], np.ndarray]


def tfidf_matrix(texts: Sequence[str], min_df: int = 1, max_df: float = 0.95,
                 ngram_range: tuple[int, int] = (1, 2)) -> sparse.csr_matrix:
    """TF-IDF of word 1- and 2-grams with sublinear tf, fitted on all ``texts`` (ASReview's elas_u4 settings)."""
    vectorizer = TfidfVectorizer(ngram_range=ngram_range, sublinear_tf=True, min_df=min_df, max_df=max_df,
                                 strip_accents="unicode")
    return sparse.csr_matrix(vectorizer.fit_transform(list(texts)), dtype=np.float64)


def text_key(text: str) -> str:
    """The cache key of one text: a hash of its content, so a file's name or a corpus's order never matters."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_id(model_name: str | None = None) -> str:
    """A name for the encoder that does not depend on where it is installed."""
    from ..models import resolve_model

    name = resolve_model(model_name)
    return Path(name).name if os.path.isdir(name) else name


def embeddings_fingerprint(model_name: str | None, max_length: int) -> dict:
    """What a cached embedding depends on: the encoder by its files' content, ``max_length``, precision, versions."""
    from ..models import resolve_model

    return fingerprints.run_fingerprint(resolve_model(model_name), max_length=max_length, pooling="mean")


def _cache_file(model: str, max_length: int, cache_dir: Path, key: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return cache_dir / f"{safe}-len{max_length}-{key}.npz"


def cached_embeddings(texts: Sequence[str], model_name: str | None = None, max_length: int = EMBEDDING_MAX_LENGTH,
                      cache_dir: str | os.PathLike | None = None, embed: Embedder | None = None) -> np.ndarray:
    """One embedding row per text, from the cache where the same text was embedded before by the same encoder
    (the same files), at the same ``max_length``, in the same precision, with the same library versions.

    ``embed`` computes the missing rows (default: :func:`mlmap.baselines.sentence_embeddings`
    with ``model_name`` and ``max_length``); the cache file is rewritten with them added. Another
    encoder or setting is another cache file (:func:`embeddings_fingerprint`), computed anew.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else EMBEDDING_CACHE_DIR
    if embed is None:
        made_by = embeddings_fingerprint(model_name, max_length)
        path = _cache_file(model_id(model_name), max_length, cache_dir, fingerprints.digest(made_by))
    else:
        made_by = {"embed": "custom", "name": model_name or "custom", "max_length": max_length}
        path = _cache_file(model_name or "custom", max_length, cache_dir, fingerprints.digest(made_by))
    stored: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as saved:
            fingerprints.check_fingerprint(json.loads(str(saved["fingerprint"])) if "fingerprint" in saved else None,
                                           made_by, str(path), "remove that file to embed the texts again")
            stored = dict(zip(saved["keys"].tolist(), saved["vectors"]))
    keys = [text_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in stored}.items())
    if missing:
        if embed is None:
            from ..baselines import sentence_embeddings

            def embed(batch: Sequence[str]) -> np.ndarray:
                return sentence_embeddings(batch, model_name, max_length=max_length)
        vectors = np.asarray(embed([t for _, t in missing]), dtype=np.float32)
        stored.update(zip([k for k, _ in missing], vectors))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(stored)), vectors=np.stack(list(stored.values())),
                 fingerprint=np.array(json.dumps(made_by)))
        os.replace(tmp, path)
    return np.stack([stored[k] for k in keys])


def centred(embeddings: np.ndarray) -> np.ndarray:
    """Embeddings minus the corpus's mean, rescaled to unit length.

    A sentence encoder's vectors share a large common direction (all cosine similarities are
    positive); removing it, with no label involved, leaves the directions that tell documents apart.
    """
    shifted = np.asarray(embeddings, dtype=np.float64) - np.asarray(embeddings, dtype=np.float64).mean(axis=0)
    return shifted / np.maximum(np.linalg.norm(shifted, axis=1, keepdims=True), 1e-12)


def combined(tfidf: sparse.spmatrix, embeddings: np.ndarray, embedding_weight: float = 1.0) -> sparse.csr_matrix:
    """TF-IDF and embeddings side by side; both have unit-length rows, so ``embedding_weight`` sets the embeddings' share."""
    return sparse.hstack([sparse.csr_matrix(tfidf), sparse.csr_matrix(embedding_weight * np.asarray(embeddings))],
                         format="csr")


def corpus_features(texts: Sequence[str], kind: str, embedding_weight: float = 1.0, min_df: int = 1,
                    model_name: str | None = None, max_length: int = EMBEDDING_MAX_LENGTH,
                    embed: Embedder | None = None, centre: bool = False,
                    cache_dir: str | os.PathLike | None = None) -> sparse.csr_matrix | np.ndarray:
    """The feature matrix of a corpus: ``kind`` is ``tfidf``, ``embeddings`` or ``both``; ``centre`` the embeddings
    (:func:`centred`); embeddings are cached in ``cache_dir`` (default :data:`EMBEDDING_CACHE_DIR`)."""
    if kind == "tfidf":
        return tfidf_matrix(texts, min_df=min_df)
    vectors = cached_embeddings(texts, model_name, max_length, cache_dir=cache_dir, embed=embed)
    if centre:
        vectors = centred(vectors)
    if kind == "embeddings":
        return vectors
    if kind == "both":
        return combined(tfidf_matrix(texts, min_df=min_df), vectors, embedding_weight)
    raise ValueError(f"unknown features {kind!r}: choose tfidf, embeddings or both")
