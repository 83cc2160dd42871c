"""Write a small trained model and its seeded sample under the running pandas major.

    python tests/data/artifacts/make_artifacts.py

writes ``pandas<major>/model.pt`` and ``pandas<major>/sample.json`` beside this file. The
cross-major test (tests/unit/synth/test_synth_cross_major.py) loads each artifact under
whichever pandas runs it and compares its sample with the one recorded here. Run it once
under pandas 2 and once under pandas 3 when the artifact format changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthohive_dbt.synth import SynthSettings, TableSynthesizer

HERE = Path(__file__).resolve().parent
SEED = 7
ROWS = 60


def training_frame(rows: int = 300) -> pd.DataFrame:
    """One column of each kind, built the way each pandas major infers it by default."""
    rng = np.random.default_rng(0)
    segment = rng.choice(["retail", "smb", "enterprise"], rows, p=[0.6, 0.3, 0.1])
    visits = pd.array(rng.integers(0, 20, rows), dtype="Int64")
    visits[rng.random(rows) < 0.2] = pd.NA
    days = rng.integers(0, 400, rows)
    return pd.DataFrame({
        "segment": pd.Series(segment.tolist()),  # the default text dtype: object or str
        "note": pd.Series([None if r < 0.25 else v for r, v in
                           zip(rng.random(rows), rng.choice(["a", "b", "c"], rows))]),
        "amount": np.round(np.where(segment == "enterprise", 500.0, 50.0)
                           + rng.normal(0, 10, rows), 2),
        "age": rng.integers(18, 90, rows).astype("int64"),
        "visits": visits,
        "signup": pd.to_datetime([f"2024-01-01 {h:02d}:00:00" for h in rng.integers(0, 24, rows)])
        + pd.to_timedelta(days, unit="D"),
        "active": rng.random(rows) < 0.7,
        "tier": pd.Categorical(rng.choice(["gold", "silver"], rows),
                               categories=["silver", "gold", "bronze"]),
    })  # fmt: skip


def settings() -> SynthSettings:
    return SynthSettings(
        epochs=2, batch_size=60, pac=4, embedding_dim=16, generator_dim=(32,),
        discriminator_dim=(32,), gmm_sample_rows=300, max_modes=3, threads=1,
        precision="float32", patience=None,
    )  # fmt: skip


def plain(value: Any) -> Any:
    """A JSON form of one sampled value that both pandas majors produce alike."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def sample_record(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: [plain(v) for v in frame[c].tolist()] for c in frame.columns}


def main() -> None:
    major = pd.__version__.split(".")[0]
    out = HERE / f"pandas{major}"
    out.mkdir(exist_ok=True)
    torch.manual_seed(0)
    model = TableSynthesizer(settings(), seed=SEED)
    model.fit(training_frame(), progress=False)
    model.save(out / "model.pt", training_state=False)
    loaded = TableSynthesizer.load(out / "model.pt")
    record = {
        "pandas": pd.__version__,
        "torch": torch.__version__,
        "seed": SEED,
        "rows": ROWS,
        "sample": sample_record(loaded.sample(ROWS, seed=SEED)),
    }
    (out / "sample.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {out}\n")


if __name__ == "__main__":
    main()
