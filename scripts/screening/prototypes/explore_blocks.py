# Prototype (rows 24-30 of results/screening/exploration.md); see README.md here.
"""Prototype: dev seed sets 100-109, step 10, tfidf + weighted embedding blocks from cache files."""
import sys, time, json, numpy as np, os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch; torch.set_num_threads(1)
from scipy import sparse
from mlmap.data import load_labels
from mlmap.screening import wss
from mlmap.screening.features import tfidf_matrix, text_key
from mlmap.screening.loop import RankerSettings, simulate_order
from mlmap.screening.simulation_runs import seed_sets, variant_frame
blocks = [(a.split("=")[0], float(a.split("=")[1])) for a in sys.argv[1].split(",")]  # file=weight
c = float(sys.argv[2]) if len(sys.argv) > 2 else 0.11
variants = sys.argv[3].split(",") if len(sys.argv) > 3 else ["full", "low_prevalence"]
settings = RankerSettings(features="both", c=c, balance_ratio=9.8, step=10)
df = load_labels(); out = {"blocks": blocks, "c": c}
for variant in variants:
    frame = variant_frame(df, variant); labels = frame["label"].to_numpy(); texts = frame["text"].tolist()
    mats = [tfidf_matrix(texts)]
    for path, w in blocks:
        with np.load(path) as d: store = dict(zip(d["keys"].tolist(), d["vectors"]))
        mats.append(sparse.csr_matrix(w * np.stack([store[text_key(t)] for t in texts])))
    x = sparse.hstack(mats, format="csr")
    vals = []
    for k, seeds in enumerate(seed_sets(frame, 10, seed=100)):
        order = simulate_order(x, labels, seeds, settings, seed=100 + 1000 * k)
        vals.append(wss(labels[order], -np.arange(len(order))))
    out[variant] = (round(float(np.mean(vals)), 4), round(float(np.std(vals, ddof=1)), 4))
    print(variant, out[variant], flush=True)
print(json.dumps(out))
