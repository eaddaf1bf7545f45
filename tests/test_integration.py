"""Fine-tune the bundled pretrained model for a few steps on a few dozen real abstracts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlmap

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_docs() -> pd.DataFrame:
    df = mlmap.prepare_targets(mlmap.load_labels(), "INCLUDE")
    return pd.concat([df[df.labels == 1].sample(24, random_state=1), df[df.labels == 0].sample(24, random_state=1)])


def test_bundled_model_learns_on_real_abstracts(real_docs, tmp_path):
    trainer = mlmap.fine_tune(
        real_docs, max_length=128, num_train_epochs=4, learning_rate=1e-4, per_device_train_batch_size=8,
        logging_strategy="steps", logging_steps=1, output_dir=str(tmp_path),
    )
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 24
    assert np.mean(losses[-6:]) < np.mean(losses[:6]) - 0.05, f"loss did not fall: {losses}"

    proba = trainer.predict_proba(real_docs)
    assert proba.shape == (48,) and np.isfinite(proba).all() and ((proba > 0) & (proba < 1)).all()
    labels = real_docs["labels"].to_numpy()
    # the documents it was trained on: relevant ones should now score higher on average
    assert proba[labels == 1].mean() > proba[labels == 0].mean() + 0.1
    assert proba.std() > 0.01  # not one constant answer
