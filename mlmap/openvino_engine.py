"""Prediction on OpenVINO: the fine-tuned classifier converted to OpenVINO's format, faster on a CPU than PyTorch.

PyTorch's CPU kernels for attention are slow for MiniLM's 32-wide heads; OpenVINO compiles the whole
graph for the CPU it runs on (in bf16 where the CPU has bf16 units). The converted model is
kept in the saved model's folder (``openvino/``), so only the first prediction pays for the
conversion. PyTorch remains the fallback: on a GPU, or where ``openvino`` is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel

from .engines import ENGINES
from .hardware import use_bf16
from .models import quiet_transformers

#: Where a saved model folder keeps its converted copy.
OPENVINO_FOLDER = "openvino"
_MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def openvino_available() -> bool:
    """Whether the ``openvino`` package is installed."""
    return importlib.util.find_spec("openvino") is not None


def resolve_engine(engine: str, model: PreTrainedModel | None = None) -> str:
    """``"pytorch"`` or ``"openvino"`` for a requested engine: ``"auto"`` picks OpenVINO for a CPU model when installed."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    on_cpu = model is None or next(model.parameters()).device.type == "cpu"
    if engine == "openvino":
        if not openvino_available():
            raise RuntimeError("engine 'openvino' needs the openvino package: pip install -r requirements.txt "
                               "(or choose engine 'pytorch')")
        if not on_cpu:
            raise ValueError("engine 'openvino' runs on the CPU; this model is on "
                             f"{next(model.parameters()).device}: use engine 'pytorch' (or 'auto')")
        return engine
    if engine == "auto":
        return "openvino" if on_cpu and openvino_available() else "pytorch"
    return engine


def default_precision() -> str:
    """OpenVINO's inference precision on this CPU: bf16 where it has bf16 units, else f32."""
    return "bf16" if use_bf16() else "f32"


class _Logits(torch.nn.Module):
    """The classifier as a function of its inputs to its logits alone: what the converter traces."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits


def convert_classifier(model: PreTrainedModel, input_names: tuple[str, ...] = ("input_ids", "attention_mask")) -> Any:
    """The classifier as an ``openvino.Model`` taking ``input_names`` (batch x width, both dynamic) and returning logits."""
    import openvino as ov

    unknown = set(input_names) - set(_MODEL_INPUTS)
    if unknown or not {"input_ids", "attention_mask"} <= set(input_names):
        raise ValueError(f"input_names must hold input_ids and attention_mask, and only {_MODEL_INPUTS}; got {input_names}")
    # traced on a padded batch, so the graph keeps the masking of padding tokens
    example = {"input_ids": torch.ones(2, 16, dtype=torch.long),
               "attention_mask": torch.tensor([[1] * 16, [1] * 9 + [0] * 7]),
               "token_type_ids": torch.zeros(2, 16, dtype=torch.long)}
    example = {name: example[name] for name in _MODEL_INPUTS if name in input_names}
    model = model.eval()
    with torch.no_grad(), warnings.catch_warnings(), quiet_transformers():
        # the converter traces the model with torch.jit, which warns of its own deprecation, of
        # transformers' deprecated attributes it touches, and of branches it fixes (for an encoder
        # with a mask they never change; the tests compare with PyTorch), and transformers logs that
        # the traced model has no loss type: nothing a reader can act on
        warnings.simplefilter("ignore")
        return ov.convert_model(_Logits(model), example_input=example,
                                input=[(name, ov.PartialShape([-1, -1]), ov.Type.i64) for name in example])


class OpenVINOClassifier:
    """A compiled OpenVINO classifier that :func:`mlmap.predict_proba` runs in place of the PyTorch model.

    ``config`` is the PyTorch model's (its ``problem_type`` says sigmoid or softmax).
    """

    def __init__(self, ov_model: Any, config: Any, precision: str | None = None, threads: int | None = None) -> None:
        import openvino as ov

        self.config = config
        self.precision = precision or default_precision()
        threads = threads or torch.get_num_threads()
        properties = {"INFERENCE_PRECISION_HINT": self.precision, "PERFORMANCE_HINT": "LATENCY",
                      "INFERENCE_NUM_THREADS": threads,
                      # OpenVINO pins its threads to the first cores: several processes with fewer
                      # threads than cores (Ray workers) would all share those cores
                      "ENABLE_CPU_PINNING": threads >= (os.cpu_count() or 1)}
        self.compiled = ov.Core().compile_model(ov_model, "CPU", properties)
        self.input_names = [port.get_any_name() for port in self.compiled.inputs]
        self._request = self.compiled.create_infer_request()

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The logits of one padded batch (the collator's tensors)."""
        missing = [name for name in self.input_names if name not in batch]
        if missing:
            raise ValueError(f"the batch lacks {missing}, which the converted model takes")
        result = self._request.infer({name: batch[name].numpy().astype(np.int64) for name in self.input_names})
        return torch.from_numpy(np.array(result[0], dtype=np.float32))


def _weights_stamp(model_folder: Path) -> dict[str, Any]:
    import openvino as ov

    weights = sorted(p for p in model_folder.iterdir() if p.is_file() and p.suffix in (".safetensors", ".bin"))
    return {"openvino": ov.__version__, "weights": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in weights}}


def openvino_classifier(model: PreTrainedModel, input_names: tuple[str, ...], model_folder: str | os.PathLike | None = None,
                        precision: str | None = None) -> OpenVINOClassifier:
    """An :class:`OpenVINOClassifier` of ``model``, converted once and kept in ``model_folder/openvino`` when given.

    The kept copy is used while the folder's weight files are unchanged and the OpenVINO version is
    the same; a folder that cannot be written (read-only) costs a conversion per process, nothing else.
    """
    import openvino as ov

    if model_folder is None:
        return OpenVINOClassifier(convert_classifier(model, input_names), model.config, precision)
    model_folder = Path(model_folder)
    kept, stamp_file = model_folder / OPENVINO_FOLDER, model_folder / OPENVINO_FOLDER / "source.json"
    stamp = {**_weights_stamp(model_folder), "inputs": list(input_names)}
    if stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp:
        return OpenVINOClassifier(ov.Core().read_model(kept / "classifier.xml"), model.config, precision)
    ov_model = convert_classifier(model, input_names)
    tmp = model_folder / f".{OPENVINO_FOLDER}.tmp"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        # full-precision weights on disk: the precision is chosen when compiling, for the CPU at hand
        ov.save_model(ov_model, tmp / "classifier.xml", compress_to_fp16=False)
        (tmp / "source.json").write_text(json.dumps(stamp, indent=1))
        shutil.rmtree(kept, ignore_errors=True)
        os.replace(tmp, kept)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"could not keep the OpenVINO copy of {model_folder} ({exc.strerror}): it is converted again next time",
              file=sys.stderr)
    return OpenVINOClassifier(ov_model, model.config, precision)
