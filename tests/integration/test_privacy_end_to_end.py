"""The leak proof: raw PII never reaches target/ or an output table, for every action.

A small project (customers -> orders) is generated here, seeded, with five PII columns:
an e-mail, a person's name and a phone number on the parent, a credit card number and
an IBAN on the child. Their values use formats faker never produces (invented names,
``.test`` mail domains, Dutch IBANs), so a fake can never equal a raw value by chance.
``shive run`` (the real pipeline: validate, profile, train, generate, test) runs once per
action with every PII column declared with that action, then every file under
``target/`` (model artifacts, caches, logs, profile.json, manifest.json, tests,
run_results.json, report) and every output table is searched for the raw values.

``keep`` is the positive control: the same scan must find the values there, which
proves the scanner sees what it is meant to see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli
from synthohive_dbt.pipeline import test_step as run_shive_test
from synthohive_dbt.privacy import leak_needles, scan_files, scan_frame
from synthohive_dbt.project import load_project
from synthohive_dbt.project.model import Manifest

pytestmark = pytest.mark.slow

ACTIONS = ("drop", "fake", "hash", "mask", "keep")
PARENT_PII = {"email": "email", "full_name": "name", "phone": "phone_number"}
CHILD_PII = {"card_number": "credit_card_number", "iban": "iban"}
SECRET_ENV = "SHIVE_E2E_PII_KEY"
N_CUSTOMERS = 300
_SYLLABLES = ("zor", "vel", "quin", "tha", "mir", "dru", "kes", "obb", "yal", "fen", "ux", "rhae")


# ---- the project ------------------------------------------------------------------------
def _word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYLLABLES, 3)).capitalize()


def _luhn(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return payload + str((10 - total % 10) % 10)


def _iban(rng: np.random.Generator) -> str:
    bban = "ABNA" + "".join(str(d) for d in rng.integers(0, 10, 10))
    digits = "".join(str(int(c, 36)) for c in bban + "NL00")
    return f"NL{98 - int(digits) % 97:02d}{bban}"


def make_data(seed: int = 5) -> dict[str, pd.DataFrame]:
    """customers (300 rows) and orders (about 3 per customer), PII in invented formats."""
    rng = np.random.default_rng(seed)
    n = N_CUSTOMERS
    first = [_word(rng) for _ in range(n)]
    last = [_word(rng) for _ in range(n)]
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype="int64"),
        "email": [f"{f.lower()}.{g.lower()}{i}@post-{i % 7}.test" for i, (f, g) in enumerate(zip(first, last))],
        "full_name": [f"{f} {g}" for f, g in zip(first, last)],
        "phone": [f"+31 6 {rng.integers(10**7, 10**8)}" for _ in range(n)],
        "segment": rng.choice(["retail", "smb", "enterprise"], n, p=[0.6, 0.3, 0.1]),
        "age": rng.integers(18, 80, n).astype("int64"),
        "credit_limit": rng.gamma(2.0, 800.0, n).round(2),
    })
    per_customer = rng.poisson(2.5, n)
    owner = np.repeat(customers["customer_id"].to_numpy(), per_customer)
    m = len(owner)
    orders = pd.DataFrame({
        "order_id": np.arange(1, m + 1, dtype="int64"),
        "customer_id": owner,
        "amount": rng.gamma(2.0, 30.0, m).round(2),
        "channel": rng.choice(["web", "store", "phone"], m),
        "card_number": ["-".join(c[i : i + 4] for i in range(0, 16, 4))
                        for c in (_luhn("4" + "".join(map(str, rng.integers(0, 10, 14)))) for _ in range(m))],
        "iban": [_iban(rng) for _ in range(m)],
    })
    return {"customers": customers, "orders": orders}


def _pii(action: str, kind: str) -> str:
    extra = {"fake": f", kind: {kind}", "hash": f", secret_env: {SECRET_ENV}", "mask": ", keep_last: 4"}
    return f"{{pii: {{action: {action}{extra.get(action, '')}}}}}"


def write_project(root: Path, action: str, data: dict[str, pd.DataFrame]) -> Path:
    """A two-table project whose five PII columns all use ``action``."""
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    for name, frame in data.items():
        frame.to_parquet(root / "data" / f"{name}.parquet", index=False)
        (root / "models" / f"{name}.sql").write_text(f"select * from {{{{ source('raw', '{name}') }}}}\n")
    (root / "shive_project.yml").write_text(
        "name: leaks\nprofile: leaks\nseed: 11\n"
        "synth: {epochs: 2, batch_size: 100, eval_every: 1, checkpoint_every: 1000}\n"
    )
    (root / "profiles.yml").write_text(
        "leaks:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/synthetic.duckdb, schema: main}\n"
    )
    parent_pii = "\n".join(f"      - name: {c}\n        config: {_pii(action, k)}" for c, k in PARENT_PII.items())
    child_pii = "\n".join(f"      - name: {c}\n        config: {_pii(action, k)}" for c, k in CHILD_PII.items())
    (root / "models" / "schema.yml").write_text(f"""version: 2
sources:
  - name: raw
    config: {{external_location: "data/{{name}}.parquet"}}
    tables: [{{name: customers}}, {{name: orders}}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{{type: primary_key}}]
{parent_pii}
  - name: orders
    columns:
      - name: order_id
        constraints: [{{type: primary_key}}]
      - name: customer_id
        constraints:
          - {{type: not_null}}
          - {{type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}}
{child_pii}
""")
    return root


# ---- running it ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return make_data()


@pytest.fixture(scope="module")
def project(data: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``project(action)``: the project run with ``action`` (``shive run`` + ``shive report``), once."""
    done: dict[str, Path] = {}
    patch = pytest.MonkeyPatch()
    patch.setenv(SECRET_ENV, "an-hmac-key-for-the-leak-test-0123456789")
    patch.delenv("SHIVE_PROFILES_DIR", raising=False)

    def run(action: str) -> Path:
        if action not in done:
            root = write_project(tmp_path_factory.mktemp(action) / "leaks", action, data)
            runner = CliRunner()
            result = runner.invoke(cli, ["run", "--project-dir", str(root), "--no-progress"])
            assert result.exit_code == 0, result.output[-4000:]
            report = runner.invoke(cli, ["report", "--project-dir", str(root)])
            assert report.exit_code == 0, report.output[-4000:]
            done[action] = root
        return done[action]

    yield run
    patch.undo()


def raw_values(root: Path, data: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Every raw value of every declared PII column (``keep`` included), by column."""
    manifest = load_project(root)
    needles: dict[str, set[str]] = {}
    for name, frame in data.items():
        needles.update(leak_needles(frame, manifest.tables[name], include_keep=True))
    assert set(needles) == {*PARENT_PII, *CHILD_PII}
    return needles


def output_tables(root: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(root / "target" / "synthetic.duckdb"), read_only=True) as con:
        return {name: con.execute(f"SELECT * FROM main.{name}").df() for name in ("customers", "orders")}


def _meta(root: Path, table: str) -> dict[str, Any]:
    return json.loads((root / "target" / "models" / table / "meta.json").read_text())


# ---- the proof ------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "keep"])
def test_no_raw_pii_value_under_target_or_in_any_output_table(
    action: str, project: Any, data: dict[str, pd.DataFrame]
) -> None:
    root = project(action)
    needles = raw_values(root, data)
    files = sorted(p.relative_to(root / "target").as_posix() for p in (root / "target").rglob("*") if p.is_file())
    for expected in ("models/customers/model.pt", "models/orders/meta.json", "profile.json", "manifest.json",
                     "logs/shive.log", "run_results.json", "report.html", "tests/shive_exact_match_customers.sql"):
        assert expected in files  # the scan below covers every kind of artifact
    assert scan_files(root / "target", needles) == []
    for name, frame in output_tables(root).items():
        assert len(frame) > 0
        assert scan_frame(frame, needles) == [], name


@pytest.mark.parametrize(
    ("action", "column", "pattern"),
    [("hash", "email", r"[0-9a-f]{64}"), ("mask", "card_number", r"\*{4}-\*{4}-\*{4}-\d{4}"),
     ("fake", "full_name", r"\S+ \S+.*"), ("fake", "iban", r"[A-Z]{2}\d{2}[A-Z0-9]+")],
)
def test_output_values_have_the_actions_shape(action: str, column: str, pattern: str, project: Any) -> None:
    tables = output_tables(project(action))
    values = pd.concat([t[column] for t in tables.values() if column in t.columns]).dropna().astype(str)
    assert len(values) > 0 and values.str.fullmatch(pattern).all(), values.head().tolist()


def test_dropped_columns_come_back_empty(project: Any) -> None:
    tables = output_tables(project("drop"))
    for name, columns in (("customers", PARENT_PII), ("orders", CHILD_PII)):
        for column in columns:
            assert column not in tables[name].columns or tables[name][column].isna().all()


def test_keep_is_the_positive_control_the_scan_finds_the_raw_values(
    project: Any, data: dict[str, pd.DataFrame]
) -> None:
    root = project("keep")
    needles = raw_values(root, data)
    in_tables = {leak.source_column for frame in output_tables(root).values() for leak in scan_frame(frame, needles)}
    assert in_tables == set(needles)
    in_files = scan_files(root / "target", needles)
    # the learned categories sit deflated inside the torch archive: the scan opens it
    assert {leak.source_column for leak in in_files if "model.pt!" in leak.location} == set(needles)
    log = (root / "target" / "logs" / "shive.log").read_text()
    for column in needles:
        assert f".{column} is declared PII with action: keep" in log


@pytest.mark.parametrize("action", ACTIONS)
def test_a_parents_pii_is_never_the_childs_context(action: str, project: Any) -> None:
    root = project(action)
    context = _meta(root, "orders")["plan"]["context_columns"]
    assert {"segment", "age", "credit_limit"} <= set(context)  # the check is not vacuous
    if action != "keep":  # keep is the user's explicit opt-out: no longer PII
        assert not set(context) & set(PARENT_PII)
    learned = set(_meta(root, "customers")["model_columns"])
    transformed = action in ("hash", "mask", "keep")
    assert (set(PARENT_PII) <= learned) if transformed else not (set(PARENT_PII) & learned)


def test_privacy_tests_ran_and_are_skipped_without_the_real_data(project: Any) -> None:
    root = project("mask")
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    privacy = {r["unique_id"].split(".")[-1]: r for r in results if r["shive"]["category"] == "privacy"}
    assert set(privacy) == {f"shive_{k}_{t}" for k in ("exact_match", "dcr") for t in ("customers", "orders")}
    assert all(r["status"] == "pass" for r in privacy.values()), privacy
    assert privacy["shive_exact_match_orders"]["shive"]["details"]["columns"] == ["amount", "channel", *CHILD_PII]
    # where only the synthetic copy and target/ exist: the manifest comes from manifest.json
    manifest = Manifest.from_dict(json.loads((root / "target" / "manifest.json").read_text()))
    (root / "data").rename(root / "data_elsewhere")
    try:
        result = run_shive_test(manifest)
    finally:
        (root / "data_elsewhere").rename(root / "data")
    assert result.exit_code == 0
    skipped = {r.name: r.message for r in result.results if r.status == "skipped"}
    assert set(skipped) == set(privacy)
    assert "real data unavailable" in skipped["shive_dcr_orders"]
    document = json.loads((root / "target" / "run_results.json").read_text())
    assert document["summary"]["counts"]["skipped"] == 4
    replay = (root / "target" / "tests" / "shive_exact_match_customers.sql").read_text()
    assert replay.startswith("{{ config(severity='error', tags=['shive', 'privacy', 'exact_match'], enabled=false) }}")
