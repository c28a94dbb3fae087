"""Git merge driver for datasets/datapackage.json: union of resources by name.

Branches that each add a dataset touch the same JSON list, which a line merge turns into a
conflict. This driver merges the three versions (base, ours, theirs) structurally:
a resource added or changed on one side is kept; one changed on both sides differently is a
real conflict and the driver fails (exit 1) so the merge stops for a human.

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


def merge(base: dict, ours: dict, theirs: dict) -> tuple[dict, list[str]]:
    conflicts: list[str] = []
    out = dict(ours)
    for key in set(theirs) - {"resources"}:
        if key not in ours or (ours.get(key) == base.get(key) and theirs[key] != base.get(key)):
            out[key] = theirs[key]
    b = {r["name"]: r for r in base.get("resources", [])}
    o = {r["name"]: r for r in ours.get("resources", [])}
    t = {r["name"]: r for r in theirs.get("resources", [])}
    names = [r["name"] for r in ours.get("resources", [])]
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
    out["resources"] = merged
    return out, conflicts


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
        print("merge_datapackage: both sides changed these resources differently: "
              + ", ".join(conflicts) + " (ours kept; resolve by hand)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
