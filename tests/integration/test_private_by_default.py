"""Private by default: with no declaration, no real value of a sensitive column leaves.

A two-table project (customers -> orders), seeded, in which only ``email`` is declared
PII (names are Italian ones that faker's en_US, which makes the fakes, never uses). The other sensitive columns are *not* declared: full names, e-mail addresses (found
by content, under a neutral name), phone numbers, street addresses, an identifier-like
member code (``MB-48213-X``, one per customer), free-text notes with e-mails inside, and
short near-unique order comments. ``nickname`` is declared ``pii: {action: keep}``: the
positive control, whose raw values must be found.

``shive run``, ``shive test --store-failures`` and ``shive report`` run with default
settings on the DuckDB and on the Parquet target; then every file under ``target/``
(zip and gzip members opened) and every table of every DuckDB and Parquet file there,
read as a table, is searched for every real value of those columns, lower-cased and
whitespace-stripped too, and for every first and last name token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from synthohive_dbt.cli import cli
from synthohive_dbt.privacy import Leak, scan_files, scan_frame

pytestmark = pytest.mark.slow

N_CUSTOMERS = 240
_SYLLABLES = ("zor", "vel", "quin", "tha", "mir", "dru", "kes", "obb", "yal", "fen", "ux", "rhae")
_STREETS = ("Lane", "Street", "Road", "Avenue", "Close")
_CITIES = ("Amsterdam", "Rotterdam", "Utrecht")
#: undeclared columns that must never leak, by table (of ``employer`` only the rare values)
SENSITIVE = {
    "customers": ("full_name", "contact", "mobile", "home_address", "member_code", "notes", "employer"),
    "orders": ("comment",),
}
MIN_COUNT = 5  # privacy.min_count's default
CONTROL = ("customers", "nickname")
TARGETS = {
    "duckdb": "{type: duckdb, path: target/synthetic.duckdb, schema: main}",
    "parquet": "{type: parquet, path: target/parquet}",
}


# ---- the project ------------------------------------------------------------------------
def _word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYLLABLES, 3)).capitalize()


def _names(part: str) -> list[str]:
    """Italian first or last names (detection knows them) that faker's en_US, which makes
    the fakes, never uses: a fake cannot equal a real name or one of its tokens by chance."""
    from faker.providers.person.en_US import Provider as English
    from faker.providers.person.it_IT import Provider as Italian

    english = {n.lower() for n in (*English.first_names, *English.last_names)}
    return sorted({n for n in getattr(Italian, part) if len(n) >= 6 and n.isalpha() and n.lower() not in english})


def _employers(rng: np.random.Generator, n: int) -> list[str]:
    """Eight frequent employers (about 25 rows each) and rare ones (1 to 3 rows each)."""
    names = sorted({_word(rng) for _ in range(200)})
    frequent = [f"{name} S.p.A." for name in names[:8]]
    rare = [f"{name} & Figli" for name in names[8:]]
    column = list(rng.choice(frequent, 200))
    while len(column) < n:
        column += [rare.pop()] * int(rng.integers(1, 4))
    return column[:n]


def make_data(seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = N_CUSTOMERS
    first = list(rng.choice(_names("first_names"), n))
    last = list(rng.choice(_names("last_names"), n))
    mails = [f"{f.lower()}.{g.lower()}{i}@post-{i % 5}.test" for i, (f, g) in enumerate(zip(first, last))]
    notes = [
        f"Called on {d} about the renewal of plan {p}; " + (f"reach at {m} " if i % 3 == 0 else "no contact ")
        + f"before the {d + 3} of the month, ref {k}"
        for i, (d, p, m, k) in enumerate(zip(rng.integers(1, 25, n), rng.integers(100, 999, n), mails,
                                             rng.integers(1000, 9999, n)))
    ]
    customers = pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype="int64"),
        "email": [f"x{m}" for m in mails],
        "full_name": [f"{f} {g}" for f, g in zip(first, last)],
        "contact": mails,
        "mobile": [f"+31 6 {rng.integers(10**7, 10**8)}" for _ in range(n)],
        "home_address": [f"{rng.integers(1, 300)} {_word(rng)} {rng.choice(_STREETS)}" for _ in range(n)],
        "member_code": [f"MB-{c:05d}-{s}" for c, s in zip(rng.choice(10**5, n, replace=False),
                                                          rng.choice(list("XYZQ"), n))],
        "notes": notes,
        "nickname": [_word(rng) + _word(rng) for _ in range(n)],
        "employer": _employers(rng, n),
        "city": rng.choice(_CITIES, n, p=[0.5, 0.3, 0.2]),
        "age": rng.integers(18, 80, n).astype("int64"),
    })
    per_customer = rng.poisson(2.0, n)
    owner = np.repeat(customers["customer_id"].to_numpy(), per_customer)
    m = len(owner)
    orders = pd.DataFrame({
        "order_id": np.arange(1, m + 1, dtype="int64"),
        "customer_id": owner,
        "amount": rng.gamma(2.0, 30.0, m).round(2),
        "channel": rng.choice(["web", "store", "phone"], m),
        "comment": [f"gate {g} {w.lower()} side" for g, w in zip(rng.integers(1000, 9999, m),
                                                              (_word(rng) for _ in range(m)))],
    })
    return {"customers": customers, "orders": orders}


def write_project(root: Path, target: str, data: dict[str, pd.DataFrame], privacy: str = "") -> Path:
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    for name, frame in data.items():
        frame.to_parquet(root / "data" / f"{name}.parquet", index=False)
        (root / "models" / f"{name}.sql").write_text(f"select * from {{{{ source('raw', '{name}') }}}}\n")
    (root / "shive_project.yml").write_text(
        "name: privdefault\nprofile: privdefault\nseed: 3\n"
        "synth: {epochs: 2, batch_size: 100, eval_every: 1, checkpoint_every: 1000}\n"
        "data_tests: {ks_threshold: 0.0001}\n"  # distribution tests fail (warn): failures are stored
        + privacy
    )
    (root / "profiles.yml").write_text(
        f"privdefault:\n  target: out\n  outputs:\n    out: {TARGETS[target]}\n"
    )
    (root / "models" / "schema.yml").write_text("""version: 2
sources:
  - name: raw
    config: {external_location: "data/{name}.parquet"}
    tables: [{name: customers}, {name: orders}]
models:
  - name: customers
    columns:
      - name: customer_id
        constraints: [{type: primary_key}]
      - name: email
        config: {pii: {action: fake, kind: email}}
      - name: nickname
        config: {pii: {action: keep}}
      - name: city
        data_tests: [{accepted_values: {values: [Amsterdam, Rotterdam, Utrecht]}}]
  - name: orders
    columns:
      - name: order_id
        constraints: [{type: primary_key}]
      - name: customer_id
        constraints:
          - {type: not_null}
          - {type: foreign_key, to: "ref('customers')", to_columns: [customer_id]}
""")
    return root


# ---- the needles --------------------------------------------------------------------------
def variants(value: str) -> set[str]:
    """The value, lower-cased, stripped of all whitespace, and both."""
    squashed = "".join(value.split())
    return {value, value.lower(), value.strip(), squashed, squashed.lower()}


def needles_of(data: dict[str, pd.DataFrame], columns: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Per ``table.column``: every real value's variants, and name tokens for person names."""
    needles: dict[str, set[str]] = {}
    for table, names in columns.items():
        for name in names:
            found: set[str] = set()
            counts = data[table][name].dropna().astype(str).value_counts()
            if name == "employer":  # a frequent category names no one: only rare ones count
                counts = counts[counts < MIN_COUNT]
            for value in counts.index:
                found |= variants(value)
                if name == "full_name":
                    tokens = value.split()
                    found |= variants(tokens[0]) | variants(tokens[-1])
            needles[f"{table}.{name}"] = {v for v in found if len(v) >= 6}
    return needles


def target_tables(target_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table of every DuckDB database and every Parquet file under ``target/``."""
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(target_dir.rglob("*.duckdb")):
        with duckdb.connect(str(path), read_only=True) as con:
            names = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
            for schema, name in names:
                tables[f"{path.name}:{schema}.{name}"] = con.execute(
                    f'SELECT * FROM "{schema}"."{name}"'
                ).df()
    for path in sorted(target_dir.rglob("*.parquet")):
        tables[str(path.relative_to(target_dir))] = pd.read_parquet(path)
    return tables


# ---- running it ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return make_data()


@pytest.fixture(scope="module")
def runs(data: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``runs(target)``: (project root, CLI output) after run, test --store-failures, report."""
    done: dict[str, tuple[Path, str]] = {}
    patch = pytest.MonkeyPatch()
    patch.delenv("SHIVE_PROFILES_DIR", raising=False)

    def run(target: str, privacy: str = "") -> tuple[Path, str]:
        key = target + privacy
        if key not in done:
            root = write_project(tmp_path_factory.mktemp(target) / "privdefault", target, data, privacy)
            runner = CliRunner()
            output = []
            for args in (["run", "--no-progress"], ["test", "--store-failures"], ["report"]):
                result = runner.invoke(cli, [*args, "--debug", "--project-dir", str(root)])
                assert result.exit_code in (0, 1), result.output[-4000:]
                output.append(result.output)
            done[key] = (root, "\n".join(output))
        return done[key]

    yield run
    patch.undo()


def _where(leaks: list[Leak]) -> list[tuple[str, str]]:
    return sorted({(leak.source_column, leak.location) for leak in leaks})


# ---- the proof ------------------------------------------------------------------------------
@pytest.mark.parametrize("target", list(TARGETS))
def test_no_real_value_of_an_undeclared_sensitive_column_anywhere(
    target: str, runs: Any, data: dict[str, pd.DataFrame]
) -> None:
    root, output = runs(target)
    needles = needles_of(data, {t: c for t, c in SENSITIVE.items()})
    files = {p.relative_to(root / "target").as_posix() for p in (root / "target").rglob("*") if p.is_file()}
    for expected in ("models/customers/model.pt", "models/orders/linkage.json", "profile.json",
                     "logs/shive.log", "run_results.json", "report.html", "report.json"):
        assert expected in files  # the scan below covers every kind of artifact
    tables = target_tables(root / "target")
    assert {"customers", "orders"} <= {re.split(r"[.:/]", name.removesuffix(".parquet"))[-1] for name in tables}
    assert any("shive_test_failures__" in name for name in tables)  # store-failures ran and kept rows
    assert _where(scan_files(root / "target", needles)) == []
    for name, frame in tables.items():
        assert _where(scan_frame(frame, needles)) == [], name
    assert [s for s, values in needles.items() for v in values if v in output] == []


@pytest.mark.parametrize("target", list(TARGETS))
def test_keep_is_the_positive_control(target: str, runs: Any, data: dict[str, pd.DataFrame]) -> None:
    root, _ = runs(target)
    needles = needles_of(data, {CONTROL[0]: (CONTROL[1],)})
    in_tables = {leak.location for frame in target_tables(root / "target").values()
                 for leak in scan_frame(frame, needles)}
    assert in_tables  # the raw nicknames were generated: the scan sees what it looks for
    in_files = {leak.location for leak in scan_files(root / "target", needles)}
    assert any("model.pt!" in where for where in in_files)


def test_with_the_protections_off_the_same_scan_finds_every_column(
    runs: Any, data: dict[str, pd.DataFrame]
) -> None:
    """The control for the whole proof: trained as found (warn, every value kept), the scan
    finds the values of every sensitive column, so its silence above means something."""
    root, output = runs("duckdb", "privacy: {undeclared: warn, min_count: 1}\n")
    assert "privacy.undeclared: warn" in output
    needles = needles_of(data, {t: c for t, c in SENSITIVE.items()})
    found = {leak.source_column for leak in scan_files(root / "target", needles)}
    found |= {leak.source_column for frame in target_tables(root / "target").values()
              for leak in scan_frame(frame, needles)}
    assert found == set(needles)


def test_what_was_protected_and_how(runs: Any, data: dict[str, pd.DataFrame]) -> None:
    root, output = runs("duckdb")
    with duckdb.connect(str(root / "target" / "synthetic.duckdb"), read_only=True) as con:
        customers = con.execute("SELECT * FROM main.customers").df()
        orders = con.execute("SELECT * FROM main.orders").df()
    assert customers["notes"].isna().all()  # free text with e-mails inside: dropped
    assert customers["contact"].str.fullmatch(r"[^@\s]+@[^@\s]+\.\w+").all()  # faked e-mails
    assert customers["full_name"].str.contains(" ").all()
    # the identifier-like code comes back as stand-ins of its shape, none of them real
    assert customers["member_code"].str.fullmatch(r"MB-\d{5}-[A-Z]").all()
    assert not set(customers["member_code"]) & set(data["customers"]["member_code"])
    assert orders["comment"].str.fullmatch(r"gate \d{4} [a-z]+ [a-z]{4}").all()
    # frequent categories are kept as they are, rare ones come back as stand-ins
    assert set(customers["city"]) == set(data["customers"]["city"])
    employers = data["customers"]["employer"].value_counts()
    frequent = set(employers[employers >= MIN_COUNT].index)
    assert len(frequent) == 8 and set(customers["employer"]) & frequent
    assert not set(customers["employer"]) & set(employers[employers < MIN_COUNT].index)
    profile = json.loads((root / "target" / "profile.json").read_text())
    protected = {(f["table"], f["column"]): f["action"] for f in profile["pii_findings"]}
    assert protected == {("customers", "full_name"): "fake", ("customers", "contact"): "fake",
                         ("customers", "mobile"): "fake", ("customers", "home_address"): "fake",
                         ("customers", "notes"): "drop"}
    assert "undeclared PII protected: customers.full_name looks like name" in output
    assert "config: {pii: {action: fake, kind: name}}" in output  # the YAML that pins it
