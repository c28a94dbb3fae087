"""The validator refuses what is wrong, accepts what is right, and never crashes (issue #14).

Each refused input gets a one-line message naming the file, row (with its line), column, the
rule and the fix; the CLI exits non-zero without a traceback; figures stored in two tables
obey the package's declared consistency rules; the package is valid for frictionless.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from trustlab import data
from trustlab.__main__ import main
from trustlab.data import DataError

ROOT = Path(__file__).resolve().parent.parent

SCHEMA = {
    "fields": [
        {"name": "year", "type": "integer", "title": "Year",
         "constraints": {"required": True, "minimum": 1900, "maximum": 2030}},
        {"name": "kind", "type": "string", "title": "Kind"},
        {"name": "count", "type": "integer", "title": "Count", "constraints": {"minimum": 0}},
        {"name": "share", "type": "number", "title": "Share"},
        {"name": "flag", "type": "boolean", "title": "Flag"},
        {"name": "source", "type": "string", "title": "Source", "bibkey": True,
         "constraints": {"required": True}},
    ],
    "primaryKey": ["year", "kind"],
    "missingValues": [""],
}
HEAD = "year,kind,count,share,flag,source\n"
GOOD = HEAD + "2019,removal,359885,0.5,true,dhs2019\n2019,return,171445,0.25,false,dhs2019\n"


class Mini:
    """A one-dataset package in a temp folder (the idea of tests/test_data.py's `mini`)."""

    def __init__(self, root: Path):
        self.root = root
        self.ds = root / "datasets"
        (self.ds / "schemas").mkdir(parents=True)
        self.schema(SCHEMA)
        self.package([{"name": "toy", "path": "toy.csv", "schema": "schemas/toy.json"}])
        (root / "references.bib").write_text("@misc{dhs2019,\n  title={Yearbook}\n}\n")

    def schema(self, sch: dict) -> None:
        (self.ds / "schemas" / "toy.json").write_text(json.dumps(sch))

    def package(self, resources: list, **extra) -> None:
        (self.ds / "datapackage.json").write_text(
            json.dumps({"name": "t", "resources": resources, **extra}))

    def write(self, text: str, name: str = "toy.csv") -> Path:
        p = self.ds / name
        p.write_bytes(text.encode("utf-8"))
        return p


@pytest.fixture
def mini(tmp_path: Path, monkeypatch) -> Mini:
    monkeypatch.setenv("TRUSTLAB_DATA", str(tmp_path / "datasets"))
    return Mini(tmp_path)


def problems(name: str = "toy") -> str:
    found = data.validate(name)
    assert found, "expected the validator to refuse this input"
    assert all("\n" not in str(p) for p in found), "one line per problem"
    return "\n".join(map(str, found))


def load_error(name: str = "toy") -> str:
    with pytest.raises(DataError) as exc:
        data.load(name)
    return str(exc.value)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# ------------------------------------------------------------------------------------------
# Refused


def test_header_only_is_refused(mini):
    mini.write(HEAD)
    msg = problems()
    assert "has no data rows" in msg and "trustlab:mayBeEmpty" in msg
    assert "has no data rows" in load_error()


def test_header_only_is_accepted_when_declared(mini):
    mini.package([{"name": "toy", "path": "toy.csv", "schema": "schemas/toy.json",
                   "trustlab:mayBeEmpty": True}])
    mini.write(HEAD)
    assert data.validate("toy") == []
    df = data.load("toy")
    assert len(df) == 0 and list(df.columns) == [f["name"] for f in SCHEMA["fields"]]
    assert str(df["count"].dtype) == "Int64"


def test_may_be_empty_must_be_a_boolean(mini):
    mini.package([{"name": "toy", "path": "toy.csv", "schema": "schemas/toy.json",
                   "trustlab:mayBeEmpty": "yes"}])
    mini.write(HEAD)
    assert "must be true or false" in problems()


@pytest.mark.parametrize("raw", ["1e999", "inf", "-inf", "nan", "NaN", "Infinity"])
def test_non_finite_numbers_are_refused(mini, raw):
    mini.write(GOOD.replace("0.25", raw))
    msg = problems()
    assert "row 2 (line 3), column 'share'" in msg and "finite" in msg


@pytest.mark.parametrize("raw", ["inf", "nan", "Infinity", "99999999999999999999"])
def test_non_finite_or_huge_integers_are_refused(mini, raw):
    mini.write(GOOD.replace("171445", raw))
    msg = problems()
    assert "row 2 (line 3), column 'count'" in msg


def test_integer_thousands_separator_gets_the_hint(mini):
    mini.write(GOOD.replace("171445", '"1,074,277"'))
    msg = problems()
    assert "row 2 (line 3), column 'count'" in msg and "without thousands separators" in msg


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x0b", "\x7f"])
def test_control_characters_are_refused_in_any_cell(mini, char):
    mini.write(GOOD.replace("removal", f"remo{char}val"))
    msg = problems()
    assert "row 1 (line 2), column 'kind'" in msg
    assert f"U+{ord(char):04X}" in msg and "control character" in msg
    assert char not in msg, "the message shows the character escaped"


def test_blank_line_in_the_middle_is_named_as_such(mini):
    mini.write(HEAD + "2019,removal,1,0.5,true,dhs2019\n\n2018,return,2,,no,dhs2019\n")
    msg = problems()
    assert "line 3: is blank" in msg and "Remove the empty line" in msg
    assert "fields but the header" not in msg and "double quotes" not in msg


def test_blank_line_does_not_shift_row_numbers_or_lines(mini):
    mini.write(HEAD + "2019,removal,1,0.5,true,dhs2019\n\n2018,return,x,,no,dhs2019\n")
    msg = problems()
    assert "row 2 (line 4), column 'count'" in msg


def test_trailing_blank_line_is_refused_too(mini):
    mini.write(GOOD + "\n")
    assert "line 4: is blank" in problems()


def test_ragged_row_hint(mini):
    mini.write(GOOD + "2018,removal,1,0.5,true,dhs2019,extra\n")
    msg = problems()
    assert "row 3 (line 4)" in msg and "has 7 fields but the header has 6" in msg


def test_booleans_one_rule_refuses_other_words(mini):
    mini.write(GOOD.replace("true", "maybe"))
    msg = problems()
    assert "row 1 (line 2), column 'flag'" in msg and "not a boolean" in msg


def test_non_utf8_csv_names_byte_and_line(mini):
    mini.write(GOOD)
    p = mini.ds / "toy.csv"
    p.write_bytes(p.read_bytes().replace(b"return", b"r\xe9turn"))
    msg = load_error()
    assert "datasets/toy.csv" in msg and "not UTF-8" in msg and "line 3" in msg
    assert f"byte {GOOD.index('return') + 1}" in msg


# ------------------------------------------------------------------------------------------
# Accepted


@pytest.mark.parametrize(("yes", "no"), [("Yes", "No"), ("YES", "NO"), ("yes", "no"),
                                          ("True", "False"), ("TRUE", "false"), ("1", "0")])
def test_booleans_any_case(mini, yes, no):
    mini.write(GOOD.replace("true", yes).replace("false", no))
    assert data.validate("toy") == []
    assert data.load("toy")["flag"].tolist() == [True, False]


def test_utf8_bom_is_accepted(mini):
    p = mini.write(GOOD)
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert data.validate("toy") == []
    df = data.load("toy")
    assert list(df.columns)[0] == "year" and df["year"].tolist() == [2019, 2019]


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\r", "\n", "\r\n"])
def test_multiline_quoted_cells_keep_rows_and_lines_right(mini, sep):
    lines_in_cell = 1 if sep in ("\u2028", "\u2029", "\x85") else 2
    text = (HEAD + f'2019,"re{sep}moval",1,0.5,true,dhs2019\n'
            + "2018,return,x,0.5,true,dhs2019\n")
    mini.write(text)
    msg = problems()
    assert f"row 2 (line {2 + lines_in_cell}), column 'count'" in msg
    mini.write(text.replace(",x,", ",2,"))
    assert data.validate("toy") == []
    df = data.load("toy")
    assert df["kind"].tolist() == [f"re{sep}moval", "return"], "the cell is kept verbatim"


def test_tab_inside_a_cell_is_accepted(mini):
    mini.write(GOOD.replace("removal", "re\tmoval"))
    assert data.validate("toy") == []


def test_validator_and_loader_agree_on_rows(mini):
    mini.write(GOOD.replace("removal", '"a\nb, c"'))
    assert data.validate("toy") == []
    assert len(data.load("toy")) == 2


# ------------------------------------------------------------------------------------------
# Crashes become DataError


def test_field_without_name(mini):
    sch = json.loads(json.dumps(SCHEMA))
    del sch["fields"][1]["name"]
    mini.schema(sch)
    mini.write(GOOD)
    msg = load_error()
    assert "schemas/toy.json" in msg and "field 2 has no \"name\"" in msg


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: s.update(fields={"year": {}}), "\"fields\" must be a non-empty list"),
    (lambda s: s["fields"][0].update(type="year"), "which trustlab cannot check"),
    (lambda s: s["fields"][0]["constraints"].update(minimum="1900"), "minimum '1900'"),
    (lambda s: s["fields"][1].update(constraints={"pattern": "("}), "not a valid regular"),
    (lambda s: s["fields"][1].update(constraints=["x"]), "\"constraints\" must be an object"),
    (lambda s: s.update(primaryKey=["nope"]), "primaryKey"),
    (lambda s: s.update(missingValues="NA"), "missingValues"),
])
def test_malformed_schema_is_a_message(mini, change, expected):
    sch = json.loads(json.dumps(SCHEMA))
    change(sch)
    mini.schema(sch)
    mini.write(GOOD)
    assert expected in load_error()


def test_resource_without_path(mini):
    mini.package([{"name": "toy", "schema": "schemas/toy.json"}])
    msg = load_error()
    assert "has no \"path\"" in msg and "datapackage.json" in msg


def test_resource_without_name_is_reported(mini, capsys):
    mini.write(GOOD)
    mini.package([{"name": "toy", "path": "toy.csv", "schema": "schemas/toy.json"},
                  {"path": "other.csv", "schema": "schemas/toy.json"}])
    mini.write(GOOD, "other.csv")
    result = data.validate_all()
    assert any("resource 2 has no \"name\"" in str(p) for p in result[data.PACKAGE_KEY])
    code, out, _ = run_cli(capsys)
    assert code == 2 and "resource 2 has no \"name\"" in out


@pytest.mark.parametrize("pkg", ['[1, 2]', '{"resources": {"toy": 1}}'])
def test_malformed_package_is_a_message(mini, capsys, pkg):
    (mini.ds / "datapackage.json").write_text(pkg)
    code, _, err = run_cli(capsys)
    assert code == 2 and "datapackage.json" in err


def test_non_utf8_references_bib(mini):
    mini.write(GOOD)
    (mini.root / "references.bib").write_bytes(b"@misc{dhs2019,\n  title={Caf\xe9}\n}\n")
    msg = load_error()
    assert "references.bib" in msg and "not UTF-8" in msg
    assert "byte 27" in msg and "line 2" in msg


def test_missing_references_bib_is_named_with_its_path(mini):
    mini.write(GOOD)
    (mini.root / "references.bib").unlink()
    msg = load_error()
    assert "file not found" in msg and str(mini.root / "references.bib") in msg


def test_unlisted_csv_is_reported_and_others_still_checked(mini, capsys):
    mini.write(GOOD.replace("171445", "x"))
    (mini.ds / "sub").mkdir()
    mini.write(GOOD, "sub/stray.csv")
    mini.write(GOOD, "stray2.csv")
    (mini.ds / ".ipynb_checkpoints").mkdir()
    mini.write(GOOD, ".ipynb_checkpoints/toy-checkpoint.csv")
    code, out, _ = run_cli(capsys)
    assert code == 2
    assert "datasets/sub/stray.csv" in out and "datasets/stray2.csv" in out
    assert "not listed in datasets/datapackage.json" in out
    assert "checkpoint" not in out, "hidden folders (Jupyter checkpoints) are skipped"
    assert "row 2 (line 3), column 'count'" in out, "the dataset's own problems still show"


# ------------------------------------------------------------------------------------------
# The command line


def test_cli_good_package_exits_0(mini, capsys):
    mini.write(GOOD)
    code, out, _ = run_cli(capsys)
    assert code == 0 and "toy: ok (2 rows)" in out


def test_cli_bad_value_exits_2_with_one_line_per_problem(mini, capsys):
    mini.write(GOOD.replace("171445", "17l445").replace("0.5", "inf"))
    code, out, err = run_cli(capsys)
    assert code == 2 and "toy: 2 problem(s)" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("  - ")]
    assert len(lines) == 2
    assert all(ln.startswith("  - datasets/toy.csv: row ") for ln in lines)
    assert "validation failed" in err


def test_cli_header_only_exits_2(mini, capsys):
    mini.write(HEAD)
    code, out, _ = run_cli(capsys)
    assert code == 2 and "has no data rows" in out


@pytest.mark.parametrize("breakage", ["bib", "schema", "csv", "package"])
def test_cli_never_shows_a_traceback(mini, capsys, breakage):
    mini.write(GOOD)
    if breakage == "bib":
        (mini.root / "references.bib").write_bytes(b"\xff\xfe@misc")
    elif breakage == "schema":
        mini.schema({"fields": [{"type": "integer"}]})
    elif breakage == "csv":
        mini.write(GOOD + '2018,"removal,1,0.5,true,dhs2019\n')
    else:
        (mini.ds / "datapackage.json").write_text("{")
    code, _, _ = run_cli(capsys)
    assert code == 2


# ------------------------------------------------------------------------------------------
# Figures stored in two tables


@pytest.fixture
def course(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the shipped datasets and bibliography, for editing."""
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    shutil.copy2(ROOT / "references.bib", tmp_path / "references.bib")
    monkeypatch.setenv("TRUSTLAB_DATA", str(tmp_path / "datasets"))
    return tmp_path / "datasets"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_shipped_data_obey_every_rule():
    assert len(data.rules()) >= 20
    assert data.check_consistency() == []


def test_rule_ids_are_unique():
    ids = [r["id"] for r in data.rules()]
    assert len(ids) == len(set(ids)), "rule ids are unique"


def test_edited_fy1954_copy_fails_naming_both_rows(course, capsys):
    edit(course / "historic_estimates.csv", ",point,30264,30264,", ",point,30246,30264,")
    code, out, _ = run_cli(capsys)
    assert code == 2
    line = next(ln for ln in out.splitlines() if "fy1954-removals-low" in ln)
    assert "datasets/historic_estimates.csv row 10 (line 11; id=wetback_fy1954_removals)" \
        in line and "column 'estimate_low' is 30246" in line
    assert "datasets/removals_returns.csv row 63 (line 64; fiscal_year=1954), column " \
           "'removals' is 30264" in line
    assert "Correct datasets/historic_estimates.csv to 30264" in line
    assert "fy1954-removals-high" not in out
    assert "historic_estimates: ok" in out, "each table is still valid on its own"
    for name in ("historic_estimates", "removals_returns"):
        assert "fy1954-removals-low" in load_error(name)
    assert len(data.load("crime_panel")) > 0, "tables outside the rule still load"


def test_load_sees_an_edit_of_the_other_table_of_a_rule(course):
    """load() caches the rule check like the table; an edit of the partner table, made after
    a successful load in the same session, must still be seen."""
    assert len(data.load("removals_returns")) > 0
    edit(course / "historic_estimates.csv", ",point,30264,30264,", ",point,30246,30264,")
    assert "fy1954-removals-low" in load_error("removals_returns")


def test_edited_snapshot_tally_fails(course, capsys):
    edit(course / "ice_snapshots.csv", "2025-06-17,pm,706,", "2025-06-17,pm,707,")
    code, out, _ = run_cli(capsys)
    assert code == 2 and "snapshot-agreements" in out
    assert "datasets/agreements_over_time.csv row 19" in out and "is 706" in out
    assert "datasets/ice_snapshots.csv row 11 (line 12; as_of=2025-06-17)" in out


def test_state_table_must_cover_the_list(course):
    path = course / "agreements_by_state.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1] + lines[2:]))  # drop AK's row
    msg = "\n".join(map(str, data.check_consistency()))
    assert "by-state-covers-list" in msg and "state=AK" in msg
    assert "no row of datasets/agreements_by_state.csv" in msg


def test_rule_that_matches_nothing_or_is_malformed_is_reported(course):
    pkg = json.loads((course / "datapackage.json").read_text())
    pkg["trustlab:consistency"][0]["left"]["where"] = {"id": "renamed_id"}
    pkg["trustlab:consistency"][1]["right"]["field"] = "no_such_column"
    pkg["trustlab:consistency"][2]["left"]["resource"] = "no_such_table"
    (course / "datapackage.json").write_text(json.dumps(pkg))
    msg = "\n".join(map(str, data.check_consistency()))
    assert "fy1954-removals-low' matches no row" in msg
    assert "no_such_column" in msg and "cannot be checked" in msg
    assert "no_such_table" in msg


def test_a_count_rule_compares_zero_when_no_row_passes_its_where(course):
    """A list with no agreement of one model has a tally of 0 to compare, and a misspelt
    model in a rule shows up as a wrong count instead of passing unchecked."""
    pkg = json.loads((course / "datapackage.json").read_text())
    rule = next(r for r in pkg["trustlab:consistency"] if r["id"] == "list-task-force")
    rule["left"]["where"] = {"model": "Task Force Modle"}
    (course / "datapackage.json").write_text(json.dumps(pkg))
    msg = "\n".join(map(str, data.check_consistency()))
    assert "'list-task-force': the number of rows of datasets/agreements_287g.csv with " \
           "model=Task Force Modle, as_of=2025-07-18 is 0" in msg, msg
    assert "column 'task_force' is 415" in msg


# ------------------------------------------------------------------------------------------
# The package is valid for frictionless (the spec), not only for trustlab


def _frictionless_errors(descriptor: Path) -> list:
    import frictionless  # a test dependency (requirements.lock): never skipped
    report = frictionless.validate(str(descriptor))
    return report.flatten(["rowNumber", "fieldName", "type", "message"])


def test_frictionless_accepts_the_shipped_package():
    errors = _frictionless_errors(ROOT / "datasets" / "datapackage.json")
    assert errors == []


def test_frictionless_goes_red_on_a_bad_value_or_the_old_profile(tmp_path):
    ds = tmp_path / "datasets"
    shutil.copytree(ROOT / "datasets", ds)
    pkg = json.loads((ds / "datapackage.json").read_text())
    keep = {"removals_returns", "us_states_geometry"}
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] in keep]
    (ds / "datapackage.json").write_text(json.dumps(pkg))
    assert _frictionless_errors(ds / "datapackage.json") == []
    edit(ds / "removals_returns.csv", "\n1954,30264,", "\n1954,many,")
    assert any(e[2] == "type-error" for e in _frictionless_errors(ds / "datapackage.json"))
    edit(ds / "removals_returns.csv", "\n1954,many,", "\n1954,30264,")
    pkg["profile"] = "tabular-data-package"
    (ds / "datapackage.json").write_text(json.dumps(pkg))
    errors = _frictionless_errors(ds / "datapackage.json")
    assert errors and "tabular-data-resource" in str(errors)
