"""The inference engines a prediction runs on, by name; light to import (``predict --help`` lists them).

Choosing one for a model is :func:`mlmap.openvino_engine.resolve_engine`.
"""

#: Inference engines ``predict_proba`` and ``python -m mlmap predict`` take; "auto" is OpenVINO where it helps.
ENGINES = ("auto", "pytorch", "openvino")
