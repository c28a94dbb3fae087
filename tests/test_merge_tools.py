"""The merge drivers in tools/ keep every entry both branches added (see .gitattributes)."""

from __future__ import annotations

import json
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import merge_bib  # noqa: E402
import merge_datapackage  # noqa: E402

BASE = "@misc{a,\n  title = {A}\n}\n"


def test_bib_union_keeps_entries_both_sides_appended_intact():
    ours = BASE + "\n@misc{b,\n  title = {B}\n}\n"
    theirs = BASE + "\n@misc{c,\n  title = {C}\n}\n"
    text, notes = merge_bib.merge(BASE, ours, theirs)
    assert [k for k, _ in merge_bib.split(text) if k] == ["a", "b", "c"]
    assert text.count("{") == text.count("}")
    assert notes == []


def test_bib_same_key_added_twice_is_kept_once_and_reported():
    ours = BASE + "\n@misc{b,\n  title = {B, ours}\n}\n"
    theirs = BASE + "\n@misc{b,\n  title = {B, theirs}\n}\n"
    text, notes = merge_bib.merge(BASE, ours, theirs)
    assert text.count("@misc{b,") == 1 and "B, ours" in text
    assert notes == ["b"]


def test_bib_change_on_one_side_wins():
    theirs = "@misc{a,\n  title = {A, corrected}\n}\n"
    text, _ = merge_bib.merge(BASE, BASE, theirs)
    assert "A, corrected" in text


def _pkg(*names):
    return {"name": "p", "resources": [{"name": n, "path": f"{n}.csv"} for n in names]}


def test_datapackage_union_by_resource_name():
    out, conflicts = merge_datapackage.merge(_pkg("x"), _pkg("x", "y"), _pkg("x", "z"))
    assert [r["name"] for r in out["resources"]] == ["x", "y", "z"]
    assert conflicts == []


def test_datapackage_both_sides_changing_one_resource_is_a_conflict():
    ours, theirs = _pkg("x"), _pkg("x")
    ours["resources"][0]["title"] = "ours"
    theirs["resources"][0]["title"] = "theirs"
    out, conflicts = merge_datapackage.merge(_pkg("x"), ours, theirs)
    assert conflicts == ["x"] and out["resources"][0]["title"] == "ours"


def test_datapackage_rules_are_merged_by_id_and_other_properties_conflict():
    base = _pkg("x")
    base["trustlab:consistency"] = [{"id": "r1", "reason": "a"}]
    ours, theirs = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    ours["trustlab:consistency"].append({"id": "r2", "reason": "ours"})
    theirs["trustlab:consistency"].append({"id": "r3", "reason": "theirs"})
    out, conflicts = merge_datapackage.merge(base, ours, theirs)
    assert [r["id"] for r in out["trustlab:consistency"]] == ["r1", "r2", "r3"]
    assert conflicts == []
    ours["title"], theirs["title"] = "ours", "theirs"
    _, conflicts = merge_datapackage.merge(base, ours, theirs)
    assert conflicts == ["title"]
