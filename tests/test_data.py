"""The course datasets validate, and bad input gets a clear message (file, row, column, rule)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from trustlab import data
from trustlab.data import DataError

DATASHEET_KEYS = {"what", "publisher", "period", "how_built", "limits", "update"}


# ------------------------------------------------------------------------------------------
# The shipped datasets


def tabular_names() -> list[str]:
    return [r["name"] for r in data.package()["resources"] if "schema" in r]


@pytest.mark.parametrize("name", tabular_names())
def test_dataset_validates_and_loads(name):
    problems = data.validate(name)
    assert not problems, "\n".join(map(str, problems))
    df = data.load(name)
    assert len(df) > 0
    assert list(df.columns) == [f["name"] for f in data.schema(name)["fields"]]


@pytest.mark.parametrize("name", tabular_names())
def test_every_row_cites_a_source(name):
    fields = data.schema(name)["fields"]
    bib_fields = [f["name"] for f in fields if f.get("bibkey")]
    assert bib_fields, f"{name}: no column is marked as a bibliography key (source)"
    df = data.load(name)
    for col in bib_fields:
        assert df[col].notna().all(), f"{name}: rows without a source in '{col}'"


@pytest.mark.parametrize("resource", data.package()["resources"], ids=lambda r: r["name"])
def test_resource_is_documented(resource):
    assert resource.get("title") and resource.get("description")
    assert resource.get("sources"), "every dataset names its original publisher"
    assert resource.get("licenses") or data.package().get("licenses")
    missing = DATASHEET_KEYS - set(resource.get("datasheet", {}))
    assert not missing, f"datasheet lacks {sorted(missing)}"
    if "schema" in resource:
        for field in data.schema(resource["name"])["fields"]:
            assert field.get("description") or field.get("title"), field["name"]


def test_data_files_are_all_in_the_package():
    listed = {r["path"] for r in data.package()["resources"]}
    on_disk = {p.name for p in data.data_dir().glob("*.csv")}
    assert on_disk <= listed, f"CSV files not described in datapackage.json: {on_disk - listed}"


def test_load_returns_typed_columns():
    df = data.load("removals_returns")
    assert str(df["fiscal_year"].dtype) == "Int64"
    assert df["fiscal_year"].is_unique


# ------------------------------------------------------------------------------------------
# Bad input, case by case, on a small data package written for each test

SCHEMA = {
    "fields": [
        {"name": "year", "type": "integer", "title": "Year",
         "constraints": {"required": True, "minimum": 1900, "maximum": 2030}},
        {"name": "kind", "type": "string", "title": "Kind",
         "constraints": {"enum": ["removal", "return"]}},
        {"name": "count", "type": "integer", "title": "Count", "constraints": {"minimum": 0}},
        {"name": "as_of", "type": "date", "title": "As of"},
        {"name": "source", "type": "string", "title": "Source", "bibkey": True,
         "constraints": {"required": True}},
    ],
    "primaryKey": ["year", "kind"],
    "missingValues": [""],
}
GOOD = ("year,kind,count,as_of,source\n"
        "2019,removal,359885,2020-09-30,dhs2019\n"
        "2019,return,171445,2020-09-30,dhs2019\n")


@pytest.fixture
def mini(tmp_path: Path, monkeypatch):
    """A one-dataset package in tmp_path; returns a function writing the CSV."""
    ds = tmp_path / "datasets"
    (ds / "schemas").mkdir(parents=True)
    (ds / "schemas" / "toy.json").write_text(json.dumps(SCHEMA))
    (ds / "datapackage.json").write_text(json.dumps({"name": "t", "resources": [
        {"name": "toy", "path": "toy.csv", "schema": "schemas/toy.json"}]}))
    (tmp_path / "references.bib").write_text("@misc{dhs2019,\n  title={Yearbook}\n}\n")
    monkeypatch.setenv("TRUSTLAB_DATA", str(ds))

    def write(text: str) -> Path:
        p = ds / "toy.csv"
        p.write_text(text)
        return p

    return write


def load_error(name: str = "toy") -> str:
    with pytest.raises(DataError) as exc:
        data.load(name)
    return str(exc.value)


def test_good_mini_package_loads(mini):
    mini(GOOD)
    df = data.load("toy")
    assert df["count"].tolist() == [359885, 171445]
    assert df["as_of"].dtype.kind == "M"


def test_unknown_dataset_name_suggests_the_closest(mini):
    mini(GOOD)
    msg = load_error("tyo")
    assert "no dataset called 'tyo'" in msg and "Did you mean 'toy'" in msg


def test_missing_file_names_file_and_fix(mini):
    msg = load_error()
    assert "datasets/toy.csv" in msg and "file not found" in msg and "git checkout" in msg


def test_wrong_header_names_missing_and_unexpected_columns(mini):
    mini(GOOD.replace("count,", "people,", 1))
    msg = load_error()
    assert "header does not match" in msg
    assert "missing column(s) ['count']" in msg and "unexpected column(s) ['people']" in msg


def test_bad_type_names_row_column_and_value(mini):
    mini(GOOD.replace("171445", "17l445"))
    msg = load_error()
    assert "row 2 (line 3), column 'count'" in msg and "'17l445' is not a whole number" in msg


def test_thousands_separator_gets_a_specific_hint(mini, tmp_path):
    sch = json.loads(json.dumps(SCHEMA))
    sch["fields"][2]["type"] = "number"
    (tmp_path / "datasets" / "schemas" / "toy.json").write_text(json.dumps(sch))
    mini(GOOD.replace("359885", '"359,885"'))
    assert "without thousands separators" in load_error()


def test_value_out_of_range(mini):
    mini(GOOD.replace("2019,return", "2091,return"))
    msg = load_error()
    assert "row 2 (line 3), column 'year'" in msg and "above the maximum 2030" in msg


def test_enum_violation_suggests_the_allowed_value(mini):
    mini(GOOD.replace(",return,", ",returns,"))
    msg = load_error()
    assert "'returns' is not one of the allowed values" in msg and "did you mean 'return'" in msg


def test_unknown_source_key(mini):
    mini(GOOD.replace("dhs2019\n", "dhs2091\n", 1))
    msg = load_error()
    assert "row 1 (line 2), column 'source'" in msg
    assert "unknown source key 'dhs2091'" in msg and "references.bib" in msg


def test_duplicate_primary_key(mini):
    mini(GOOD + "2019,removal,1,2020-09-30,dhs2019\n")
    msg = load_error()
    assert "row 3 (line 4)" in msg and "duplicate key (year=2019, kind=removal)" in msg
    assert "first seen in row 1" in msg


def test_invalid_date(mini):
    mini(GOOD.replace("2020-09-30", "2020-02-30", 1))
    assert "'2020-02-30' is not a real calendar date" in load_error()


def test_required_value_missing(mini):
    mini(GOOD.replace(",dhs2019\n", ",\n", 1))
    msg = load_error()
    assert "row 1 (line 2), column 'source': is empty but required" in msg


def test_ragged_row_points_at_unquoted_comma(mini):
    mini(GOOD + "2018,removal,337287,2019-09-30,dhs2019,extra\n")
    msg = load_error()
    assert "row 3 (line 4)" in msg and "has 6 fields but the header has 5" in msg
    assert "double quotes" in msg


def test_malformed_csv_unclosed_quote(mini):
    mini(GOOD + '2018,"removal,337287,2019-09-30,dhs2019\n')
    msg = load_error()
    assert "datasets/toy.csv" in msg and "malformed CSV" in msg and "double quote" in msg


def test_invalid_schema_json_names_line(mini, tmp_path):
    mini(GOOD)
    (tmp_path / "datasets" / "schemas" / "toy.json").write_text('{"fields": [}')
    msg = load_error()
    assert "schemas/toy.json" in msg and "not valid JSON (line 1" in msg


def test_all_problems_reported_at_once(mini):
    mini(GOOD.replace("359885", "x").replace("171445", "-5"))
    err = pytest.raises(DataError, data.load, "toy").value
    assert len(err.problems) == 2


def test_a_good_file_is_never_modified_by_loading(mini):
    p = mini(GOOD)
    data.load("toy")
    assert p.read_text() == GOOD


def test_ipython_shows_the_message_not_a_traceback(mini):
    mini(GOOD.replace("171445", "many"))
    err = pytest.raises(DataError, data.load, "toy").value
    rendered = err._render_traceback_()
    assert len(rendered) == 1 and rendered[0].startswith("DataError: datasets/toy.csv")
    assert "Traceback" not in rendered[0]


def test_cache_sees_edits(mini):
    p = mini(GOOD)
    assert len(data.load("toy")) == 2
    p.write_text(GOOD + "2018,removal,337287,2019-09-30,dhs2019\n")
    import os
    os.utime(p, (p.stat().st_atime + 5, p.stat().st_mtime + 5))
    assert len(data.load("toy")) == 3


def test_returned_frame_is_a_copy(mini):
    mini(GOOD)
    df = data.load("toy")
    df.loc[0, "count"] = 0
    assert data.load("toy").loc[0, "count"] == 359885
    assert isinstance(df, pd.DataFrame)


def test_references_bib_has_no_duplicate_keys():
    """Chapters are written on branches and references.bib is merged as a union: an entry two
    branches both added would appear twice and break the strict book build."""
    import re
    from collections import Counter

    text = data.bib_path().read_text(encoding="utf-8")
    keys = [k for kind, k in re.findall(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text)
            if kind.lower() not in {"comment", "string", "preamble"}]
    dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
    assert not dupes, f"references.bib defines these keys more than once: {dupes}"
    bad = sorted(k for k in keys if k != k.lower())
    assert not bad, f"bib keys must be lower case (CONTRIBUTING.md): {bad}"


def test_one_bib_entry_per_source_document():
    """Two keys for one document (same URL) split a source's citations across two entries;
    chapters written in parallel produced several, so the check guards the merge."""
    import re
    from collections import defaultdict

    text = data.bib_path().read_text(encoding="utf-8")
    by_url = defaultdict(list)
    for m in re.finditer(r"(?ms)^@\w+\{\s*([^,\s]+)\s*,(.*?)^\}", text):
        url = re.search(r"(?m)^\s*url\s*=\s*\{([^}]+)\}", m.group(2))
        if url:
            by_url[url.group(1).strip().rstrip("/")].append(m.group(1))
    dupes = {u: keys for u, keys in by_url.items() if len(keys) > 1}
    assert not dupes, f"several bib keys for one document: {dupes}"


def test_book_kernels_share_the_consistency_checks(tmp_path, monkeypatch):
    """In a book build each page's kernel checks the cross-dataset rules; the first leaves its
    result in the build's folder for the next (trustlab.data.CHECK_CACHE_ENV). A changed file
    of a table the rules read is checked again."""
    import os
    import shutil

    from trustlab import data as tdata

    ds = tmp_path / "datasets"
    shutil.copytree(ROOT / "datasets", ds)
    shutil.copy2(ROOT / "references.bib", tmp_path / "references.bib")
    monkeypatch.setenv("TRUSTLAB_DATA", str(ds))
    expected = tdata.check_consistency()
    assert expected == [], expected  # the shipped tables agree

    monkeypatch.setenv(tdata.CHECK_CACHE_ENV, str(tmp_path / "checks"))
    calls = []
    original = tdata._consistency_cached

    def counted(involving, stamps):
        calls.append(involving)
        return original(involving, stamps)

    monkeypatch.setattr(tdata, "_consistency_cached", counted)
    assert tdata.check_consistency() == expected and len(calls) == 1
    assert list((tmp_path / "checks").glob("consistency-*.json"))

    # Another kernel: nothing in memory, the folder's result is used.
    original.cache_clear()
    calls.clear()
    assert tdata.check_consistency() == expected and calls == []

    # A rule's table changes: checked again.
    rule_files = sorted({f for rule in tdata._package()["trustlab:consistency"]
                         for name in tdata._rule_tables(rule)
                         for f in tdata._table_files(name)[2]})
    st = rule_files[0].stat()
    os.utime(rule_files[0], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert tdata.check_consistency() == expected and len(calls) == 1
