"""check_pii_config: declarations that cannot be honoured fail at validate, with the fix."""

from __future__ import annotations

import pytest
from privacy_builders import make_column, make_table

from synthohive_dbt.errors import PrivacyError
from synthohive_dbt.privacy import check_pii_config
from synthohive_dbt.project.model import PiiConfig


def _check(column, **table_kw) -> None:
    check_pii_config([make_table("t", [column], **table_kw)])


@pytest.mark.parametrize(
    ("column", "table_kw", "message"),
    [
        (make_column("e", pii=PiiConfig(kind="emial")), {}, "did you mean 'email'"),
        (make_column("e", pii=PiiConfig(locale="xx_YY")), {}, "no locale 'xx_YY'"),
        (make_column("n", "INTEGER", "numeric", pii=PiiConfig(kind="email")), {}, "cast("),
        (make_column("b", "BOOLEAN", "boolean", pii=PiiConfig(kind="email")), {}, "boolean"),
        (
            make_column("n", "INTEGER", "numeric", pii=PiiConfig(action="hash", secret_env="K")),
            {},
            "cast(",
        ),
        (make_column("s", pii=PiiConfig(action="hash")), {}, "secret_env"),
        (make_column("s", pii=PiiConfig(action="mask", keep_last=-1)), {}, "keep_last"),
        (make_column("s", nullable=False, pii=PiiConfig(action="drop")), {}, "must not be null"),
        (make_column("id", pii=PiiConfig(action="mask")), {"primary_key": ["id"]}, "joinable"),
    ],
)
def test_bad_declarations_are_refused(column, table_kw, message: str) -> None:
    with pytest.raises(PrivacyError, match=message.replace("(", r"\(")):
        _check(column, **table_kw)


def test_good_declarations_pass(customers) -> None:
    check_pii_config([customers[0]])
