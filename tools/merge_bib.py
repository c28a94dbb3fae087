"""Git merge driver for references.bib: union of entries by key.

A line-based union merge interleaves two entries that both branches appended at the end of
the file (their closing braces line up), which corrupts the file. This driver merges by entry:
entries added or changed on one side are kept; an entry both sides added or changed with
different text keeps our version and is reported on stderr, so a human can compare them.

Enable it once per clone:
    git config merge.bibtex.driver "python3 tools/merge_bib.py %O %A %B"
(`.gitattributes` already maps references.bib to it.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,")


def split(text: str) -> list[tuple[str | None, str]]:
    """(key or None, text) chunks: each entry with the comment lines that follow it."""
    chunks: list[tuple[str | None, str]] = []
    for part in re.split(r"(?m)^(?=@)", text):
        m = ENTRY.match(part)
        key = m.group(2) if m and m.group(1).lower() not in {"comment", "string",
                                                             "preamble"} else None
        chunks.append((key, part))
    return chunks


def _body(chunk: str) -> str:
    """An entry without the comment lines that follow it, for comparing versions."""
    return re.sub(r"(?m)^%.*\n?", "", chunk).strip()


def merge(base: str, ours: str, theirs: str) -> tuple[str, list[str]]:
    b = {k: t for k, t in split(base) if k}
    o = split(ours)
    o_keys = {k: t for k, t in o if k}
    notes: list[str] = []
    out: list[str] = []
    t_chunks = split(theirs)
    t_keys = {k: t for k, t in t_chunks if k}
    for k, text in o:
        if k and k in t_keys and _body(t_keys[k]) != _body(text):
            if _body(text) == _body(b.get(k, "")):
                text = t_keys[k]            # only theirs changed it
            elif _body(t_keys[k]) != _body(b.get(k, "")):
                notes.append(k)             # both changed it differently: keep ours
        if k and k not in t_keys and k in b and _body(text) == _body(b[k]):
            continue                        # they deleted it, we did not touch it
        out.append(text)
    added = [t for k, t in t_chunks if k and k not in o_keys and k not in b]
    if added:
        if out and not out[-1].endswith("\n\n"):
            out[-1] = out[-1].rstrip("\n") + "\n\n"
        out += [t.rstrip("\n") + "\n\n" for t in added]
    return "".join(out).rstrip("\n") + "\n", notes


def main(argv: list[str]) -> int:
    base_p, ours_p, theirs_p = argv[1:4]
    texts = [Path(p).read_text(encoding="utf-8") for p in (base_p, ours_p, theirs_p)]
    result, notes = merge(*texts)
    Path(ours_p).write_text(result, encoding="utf-8")
    for k in notes:
        print(f"merge_bib: both sides changed entry {k!r} differently; kept ours",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
