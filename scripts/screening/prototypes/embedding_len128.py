# Prototype (rows 24-30 of results/screening/exploration.md); see README.md here.
import time, torch
from mlmap.data import load_labels
from mlmap.screening.simulation_runs import variant_frame
from mlmap.screening.features import cached_embeddings
torch.set_num_threads(1)
texts = variant_frame(load_labels(), "full")["text"].tolist()
t = time.perf_counter(); cached_embeddings(texts, max_length=128); print("len128", time.perf_counter() - t, flush=True)
