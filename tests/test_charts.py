"""The course's Altair data transformer: JSON-safe values, Altair's row limit kept."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest

from trustlab import charts  # noqa: F401  (enables the transformer)


def test_missing_text_becomes_null_not_nan():
    df = pd.DataFrame({"x": [1, 2], "label": pd.Series(["a", None], dtype="str")})
    spec = alt.Chart(df).mark_point().encode(x="x:Q", tooltip="label:N").to_dict()
    json.dumps(spec, allow_nan=False)  # raises on NaN
    values = next(iter(spec["datasets"].values()))
    assert values[1]["label"] is None


def test_row_limit_is_still_enforced():
    big = pd.DataFrame({"x": range(5001)})
    with pytest.raises(alt.MaxRowsError):
        alt.Chart(big).mark_point().encode(x="x:Q").to_dict()
