"""What to compare a fine-tuned model with: TF-IDF and frozen sentence embeddings, each with logistic regression."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from transformers import AutoModel, AutoTokenizer

from .models import resolve_model

#: all-MiniLM-L6-v2 was trained as a sentence encoder on inputs of at most 256 tokens.
EMBEDDING_MAX_LENGTH = 256


def tfidf_features(train_texts: Sequence[str], other_texts: Sequence[str],
                   vocabulary_from_all: bool = False) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """TF-IDF of word unigrams and bigrams, with the vocabulary and weights learned from the training texts only.

    ``vocabulary_from_all`` learns them from both sets of texts (no labels are involved): what active
    learning does, where the unlabelled documents are known from the start and the labelled ones are few.
    """
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, strip_accents="unicode")
    if not vocabulary_from_all:
        return vectorizer.fit_transform(train_texts), vectorizer.transform(other_texts)
    vectorizer.fit(list(train_texts) + list(other_texts))
    return vectorizer.transform(train_texts), vectorizer.transform(other_texts)


def sentence_embeddings(texts: Sequence[str], model_name: str | None = None, batch_size: int = 32,
                        max_length: int = EMBEDDING_MAX_LENGTH) -> np.ndarray:
    """Mean-pooled, L2-normalised token embeddings of the pretrained encoder (no fine-tuning), as
    sentence-transformers computes them for all-MiniLM-L6-v2; one row per text."""
    name = resolve_model(model_name)
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModel.from_pretrained(name).eval()
    texts = list(texts)
    if not texts:
        return np.zeros((0, model.config.hidden_size), dtype=np.float32)
    # batches of similar lengths pad less: on abstracts about a third less compute; the order is restored below
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    by_length = np.argsort(lengths, kind="stable")
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            chunk = [texts[i] for i in by_length[start : start + batch_size]]
            batch = tokenizer(chunk, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    embeddings = np.empty((len(texts), rows[0].shape[1]), dtype=rows[0].dtype)
    embeddings[by_length] = np.concatenate(rows)
    return embeddings


def fit_logistic(features, labels: np.ndarray, c: float, seed: int):
    """A logistic regression (one per label for a 0/1 matrix) with inverse regularisation strength ``c``."""
    classifier = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    labels = np.asarray(labels)
    if labels.ndim == 2:
        classifier = OneVsRestClassifier(classifier)
    return classifier.fit(features, labels.astype(int))


def logistic_proba(classifier, features) -> np.ndarray:
    """P(relevant) (one target) or P(label) per label (multilabel) from :func:`fit_logistic`'s model."""
    proba = classifier.predict_proba(features)
    return proba if isinstance(classifier, OneVsRestClassifier) else proba[:, 1]
