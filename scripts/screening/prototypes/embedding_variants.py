# Prototype (rows 24-30 of results/screening/exploration.md); see README.md here.
"""Compute embedding variants for all 1,500 texts: len512, and chunked (mean of 256-token windows)."""
import time, numpy as np, torch
from transformers import AutoTokenizer, AutoModel
from mlmap.data import load_labels
from mlmap.models import resolve_model
from mlmap.screening.simulation_runs import variant_frame
from mlmap.screening.features import cached_embeddings
torch.set_num_threads(2)
f = variant_frame(load_labels(), "full"); texts = f["text"].tolist()
t = time.perf_counter(); e = cached_embeddings(texts, max_length=512); print("len512", e.shape, time.perf_counter() - t, flush=True)
name = resolve_model(None); tok = AutoTokenizer.from_pretrained(name); model = AutoModel.from_pretrained(name).eval()
def chunked(batch_texts, window=256, stride=192):
    # windows of `window` tokens (incl. CLS/SEP), overlapping; mean of normalised window embeddings
    pieces, owner = [], []
    for i, text in enumerate(batch_texts):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        body = window - 2
        starts = list(range(0, max(len(ids) - body, 0) + 1, stride))
        if starts[-1] + body < len(ids): starts.append(len(ids) - body)
        for s in starts:
            pieces.append([tok.cls_token_id] + ids[s:s + body] + [tok.sep_token_id]); owner.append(i)
    order = np.argsort([len(p) for p in pieces], kind="stable"); vecs = np.empty((len(pieces), 384), np.float32)
    with torch.inference_mode():
        for s in range(0, len(pieces), 32):
            idx = order[s:s + 32]; batch = tok.pad({"input_ids": [pieces[j] for j in idx]}, return_tensors="pt")
            h = model(**batch).last_hidden_state; m = batch["attention_mask"].unsqueeze(-1).float()
            vecs[idx] = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()
    owner = np.array(owner); out = np.stack([vecs[owner == i].mean(0) for i in range(len(batch_texts))])
    return out / np.linalg.norm(out, axis=1, keepdims=True)
t = time.perf_counter(); e = cached_embeddings(texts, model_name="chunked256", embed=chunked); print("chunked", e.shape, time.perf_counter() - t, flush=True)
