# Prototype (rows 24-30 of results/screening/exploration.md); see README.md here.
import time, numpy as np, torch
from transformers import AutoTokenizer, AutoModel
from mlmap.data import load_labels
from mlmap.models import resolve_model
from mlmap.screening.simulation_runs import variant_frame
from mlmap.screening.features import cached_embeddings, text_key
torch.set_num_threads(2)
df = load_labels(); f = variant_frame(df, "full"); texts = f["text"].tolist()
name = resolve_model(None); tok = AutoTokenizer.from_pretrained(name); model = AutoModel.from_pretrained(name).eval()
def layers(batch_texts, max_length=256):
    out = np.empty((len(batch_texts), 384 * 3), np.float32)
    order = np.argsort([len(t) for t in batch_texts])
    with torch.inference_mode():
        for s in range(0, len(order), 32):
            idx = order[s:s+32]; b = tok([batch_texts[i] for i in idx], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            hs = model(**b, output_hidden_states=True).hidden_states; m = b["attention_mask"].unsqueeze(-1).float()
            parts = [torch.nn.functional.normalize((hs[l] * m).sum(1) / m.sum(1), dim=-1) for l in (2, 4, 6)]
            out[idx] = (torch.cat(parts, -1) / np.sqrt(3)).numpy()
    return out
t = time.perf_counter(); cached_embeddings(texts, model_name="layers246", embed=layers); print("layers", time.perf_counter() - t, flush=True)
# titles: embedding of the title alone, stored under the full text's key
title_of = dict(zip(texts, df["title"].fillna("").astype(str).tolist()))
from mlmap.baselines import sentence_embeddings
t = time.perf_counter(); cached_embeddings(texts, model_name="titles", embed=lambda b: sentence_embeddings([title_of[x] for x in b], max_length=64)); print("titles", time.perf_counter() - t, flush=True)
