"""Git merge driver for datasets/datapackage.json: union of resources by name and of the
cross-dataset consistency rules by id.

Branches that each add a dataset (or a rule) touch the same JSON list, which a line merge
turns into a conflict. This driver merges the three versions (base, ours, theirs)
structurally: an entry added or changed on one side is kept; one changed on both sides
differently, like any other package property changed on both sides differently, is a real
conflict and the driver fails (exit 1) so the merge stops for a human.

Enable it once per clone:
    git config merge.datapackage.driver "python3 tools/merge_datapackage.py %O %A %B"
(`.gitattributes` already maps the file to it.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _load(path: str) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else {"resources": []}


# Package properties that are lists of entries with an identifying field.
KEYED_LISTS = {"resources": "name", "trustlab:consistency": "id"}


def merge(base: dict, ours: dict, theirs: dict) -> tuple[dict, list[str]]:
    conflicts: list[str] = []
    out = dict(ours)
    for key in set(theirs) - set(KEYED_LISTS):
        if key not in ours or (ours.get(key) == base.get(key) and theirs[key] != base.get(key)):
            out[key] = theirs[key]
        elif ours[key] != theirs[key] and theirs[key] != base.get(key):
            conflicts.append(key)
    for key, ident in KEYED_LISTS.items():
        if key in ours or key in theirs:
            out[key] = _merge_list(base.get(key, []), ours.get(key, []), theirs.get(key, []),
                                   ident, conflicts)
    return out, conflicts


def _merge_list(base: list, ours: list, theirs: list, ident: str,
                conflicts: list[str]) -> list:
    b = {r[ident]: r for r in base}
    o = {r[ident]: r for r in ours}
    t = {r[ident]: r for r in theirs}
    names = [r[ident] for r in ours]
    names += [n for n in t if n not in o]
    merged = []
    for n in names:
        bo, oo, to = b.get(n), o.get(n), t.get(n)
        if oo is None:                      # added by theirs (or deleted by us: keep theirs
            if bo is None or to != bo:      # only if they changed it)
                merged.append(to)
            continue
        if to is None:                      # deleted by theirs, or only ours has it
            if bo is None or oo != bo:
                merged.append(oo)
            continue
        if oo == to or to == bo:
            merged.append(oo)
        elif oo == bo:
            merged.append(to)
        else:
            conflicts.append(n)
            merged.append(oo)
    return merged


def main(argv: list[str]) -> int:
    base_p, ours_p, theirs_p = argv[1:4]
    try:
        result, conflicts = merge(_load(base_p), _load(ours_p), _load(theirs_p))
    except (json.JSONDecodeError, KeyError) as exc:
        print(f"merge_datapackage: cannot parse a version of datapackage.json: {exc}",
              file=sys.stderr)
        return 1
    Path(ours_p).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    if conflicts:
        print("merge_datapackage: both sides changed these entries differently: "
              + ", ".join(conflicts) + " (ours kept; resolve by hand)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
