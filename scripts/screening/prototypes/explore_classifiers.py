# Prototype (rows 24-30 of results/screening/exploration.md); see README.md here.
"""Prototype classifiers on the frozen features (tfidf + 0.5 * len256), dev seed sets 100-109, step 10."""
import sys, json, numpy as np, os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch; torch.set_num_threads(1)
from scipy import sparse
from scipy.stats import rankdata
from sklearn.svm import LinearSVC
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from mlmap.data import load_labels
from mlmap.screening import wss
from mlmap.screening.loop import RankerSettings, simulate_order, features_for, DEFAULT_RANKER
from mlmap.screening.simulation_runs import seed_sets, variant_frame
kind = sys.argv[1]; variants = sys.argv[2].split(",") if len(sys.argv) > 2 else ["full"]
class Clf:
    def __init__(self, seed): self.seed = seed
    def fit(self, x, y, sample_weight=None):
        s = self.seed; self.ms = []
        if kind == "hinge": self.ms = [LinearSVC(C=float(os.environ.get("C", "0.11")), loss="hinge", dual=True, max_iter=20000, random_state=s)]
        elif kind == "svm_lr": self.ms = [LinearSVC(C=0.11, random_state=s), LogisticRegression(C=1.0, solver="liblinear")]
        elif kind == "ridge": self.ms = [RidgeClassifier(alpha=float(os.environ.get("ALPHA", "1")))]
        elif kind == "svm_c": self.ms = [LinearSVC(C=0.11 * max(1.0, len(y) / float(os.environ.get("N0", "300"))), random_state=s)]
        elif kind == "svm_l1": self.ms = [LinearSVC(C=float(os.environ.get("C", "0.5")), penalty="l1", dual=False, random_state=s)]
        for m in self.ms: m.fit(x, y, sample_weight=sample_weight)
        return self
    def scores(self, x):
        outs = [m.decision_function(x) for m in self.ms]
        return outs[0] if len(outs) == 1 else sum(rankdata(o) for o in outs)
df = load_labels(); out = {"kind": kind, "env": {k: os.environ[k] for k in ("ALPHA", "N0", "C", "RATIO", "W") if k in os.environ}}
settings = DEFAULT_RANKER.with_(step=10, balance_ratio=float(os.environ.get("RATIO", "9.8")), embedding_weight=float(os.environ.get("W", "0.5")))
for variant in variants:
    frame = variant_frame(df, variant); labels = frame["label"].to_numpy()
    x = features_for(frame["text"].tolist(), settings)
    vals = [wss(labels[o], -np.arange(len(o))) for o in
            (simulate_order(x, labels, seeds, settings, seed=100 + 1000 * k, new_classifier=lambda st, sd: Clf(sd))
             for k, seeds in enumerate(seed_sets(frame, 10, seed=100)))]
    out[variant] = (round(float(np.mean(vals)), 4), round(float(np.std(vals, ddof=1)), 4)); print(variant, out[variant], flush=True)
print(json.dumps(out))
