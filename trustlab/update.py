"""Keep the 287(g) tables current: ``python -m trustlab update-287g`` (``make update-287g``).

One run, meant for a weekly schedule (``.github/workflows/refresh-287g.yml``) or a maintainer:

1. fetch ICE's 287(g) page (:data:`DEFAULT_PAGE`, or ``--page-url`` /
   ``$TRUSTLAB_287G_PAGE``), find the newest ``participatingAgencies<MMDDYYYY><am|pm>.xlsx``
   link on it, and download that workbook (or download ``--url`` / ``$TRUSTLAB_287G_URL``
   directly);
2. read it with :func:`trustlab.ice.read_workbook` and compare it with the course's current
   ``agreements_287g.csv``: when ICE's list holds the same agreements, write nothing and exit
   with :data:`EXIT_UNCHANGED`;
3. otherwise run the all-or-nothing :func:`trustlab.ice.refresh` (its plausibility guards and
   whole-package validation included) and write a dated "what changed" summary,
   ``datasets/updates/<list date>-<edition>.md``: counts by model and by state before and
   after, and the agreements added, removed or changed since the previous list;
4. optionally (``--rebuild``, ``--test``) re-execute the data labs and rebuild the book, and
   run the data tests, with the network guard on.

Exit codes: :data:`EXIT_CHANGED` (0), :data:`EXIT_UNCHANGED` (3), 2 when anything is refused
or fails before the tables are replaced (nothing changed), :data:`EXIT_CHECKS_FAILED` (4)
when the tables were updated but the summary, the rebuild or the tests failed, 1 for a bug.

Network errors, HTTP errors and the offline guard (``TRUSTLAB_OFFLINE=1``, see
:mod:`trustlab.offline`) give one line naming the URL and what to do, never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from . import ice
from .data import DataError, Problem

DEFAULT_PAGE = "https://www.ice.gov/identify-and-arrest/287g"
PAGE_ENV = "TRUSTLAB_287G_PAGE"  # the page that links the workbook
URL_ENV = "TRUSTLAB_287G_URL"  # the workbook itself (skips the page)
TIMEOUT = 60  # seconds per request
MAX_BYTES = 50 * 1024 * 1024  # ICE's workbook is ~110 KB; anything this big is not it
USER_AGENT = ("Mozilla/5.0 (compatible; trustlab-update-287g; course data refresh; "
              "+https://www.ice.gov/identify-and-arrest/287g)")

EXIT_CHANGED = 0
EXIT_UNCHANGED = 3
EXIT_CHECKS_FAILED = 4

UPDATES_FOLDER = "updates"  # inside the datasets folder: datasets/updates/
_LINK_RE = re.compile(r"participatingAgencies(\d{2})(\d{2})(\d{4})\s*(am|pm)?\.xlsx$",
                      re.IGNORECASE)
# Columns compared between two lists (as_of changes with every edition; source is ours).
_COMPARED = ("state", "agency", "agency_type", "county", "model", "signed", "repair", "notes")


class UpdateError(DataError):
    """update-287g could not get or use ICE's workbook; nothing was changed."""

    def __init__(self, url: str, message: str, hint: str = ""):
        super().__init__([Problem(url, message, hint=hint)], file=url)


# --------------------------------------------------------------------------------------
# Download


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag.lower() == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


def workbook_links(html: str, base: str) -> list[tuple[date, str, str]]:
    """Every participating-agencies workbook linked from ``html``: (date, edition, absolute
    URL), newest first. ICE names the file after its list's date and edition
    (``participatingAgencies07182025pm.xlsx``); the pending-agencies workbook is ignored."""
    parser = _Links()
    parser.feed(html)
    found = {}
    for href in parser.hrefs:
        url = urllib.parse.urljoin(base, href)
        name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        m = _LINK_RE.search(name)
        if not m:
            continue
        mm, dd, yyyy, ed = m.groups()
        try:
            day = date(int(yyyy), int(mm), int(dd))
        except ValueError:
            continue
        found[url] = (day, (ed or "").lower(), url)
    return sorted(found.values(), key=lambda t: (t[0], ice._EDITION_ORDER[t[1]]), reverse=True)


def _what_to_do_offline() -> str:
    return ("Check the connection (and any proxy), or download the workbook by hand from "
            f"{DEFAULT_PAGE} and run: python -m trustlab refresh-287g FILE.xlsx")


def _blocked(url: str) -> UpdateError:
    return UpdateError(url, "cannot be downloaded: the course's network guard blocks it "
                            "(TRUSTLAB_OFFLINE=1 is set for builds and tests).",
                       "Run the update without it: make update-287g, or unset "
                       "TRUSTLAB_OFFLINE (and remove tools/offline from PYTHONPATH).")


def fetch(url: str, timeout: float = TIMEOUT) -> bytes:
    """The body of ``url``; an :class:`UpdateError` (one line, naming the URL and what to do)
    on any network or HTTP failure."""
    from .offline import NetworkBlocked

    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in {"http", "https", "file"}:
        raise UpdateError(url, "is not an http(s) or file URL.",
                          "Give the full address, e.g. " + DEFAULT_PAGE)
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (scheme checked)
            body = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise UpdateError(url, f"answered HTTP {exc.code} {exc.reason}.",
                          "Open the address in a browser: if ICE moved the page or the "
                          "workbook, pass the new address with --page-url or --url; if the "
                          "site is down, try again later.") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, NetworkBlocked):
            raise _blocked(url) from None
        host = urllib.parse.urlsplit(url).hostname or url
        if isinstance(reason, socket.gaierror):
            what = f"the name {host} cannot be resolved (offline, or no DNS?)"
        elif isinstance(reason, TimeoutError):
            what = f"{host} did not answer within {timeout:.0f} s"
        elif isinstance(reason, ConnectionRefusedError):
            what = f"{host} refused the connection"
        else:
            what = f"{host} cannot be reached ({reason})"
        raise UpdateError(url, f"cannot be downloaded: {what}.", _what_to_do_offline()) from None
    except TimeoutError:
        raise UpdateError(url, f"cannot be downloaded: no answer within {timeout:.0f} s.",
                          _what_to_do_offline()) from None
    except NetworkBlocked:  # (urllib wraps it in URLError; this is in case it does not)
        raise _blocked(url) from None
    except OSError as exc:  # connection reset half-way and the like
        raise UpdateError(url, f"cannot be downloaded: {exc.strerror or exc}.",
                          _what_to_do_offline()) from None
    if len(body) > MAX_BYTES:
        raise UpdateError(url, f"is larger than {MAX_BYTES // 2**20} MB: not ICE's workbook.",
                          "Check the address.")
    return body


def download(folder: Path, page_url: str | None = None,
             url: str | None = None) -> tuple[Path, str, str]:
    """Download ICE's newest participating-agencies workbook into ``folder`` under ICE's own
    file name; return (file, workbook URL, page URL or "")."""
    url = url or os.environ.get(URL_ENV) or None
    page = ""
    if not url:
        page = page_url or os.environ.get(PAGE_ENV) or DEFAULT_PAGE
        html = fetch(page).decode("utf-8", errors="replace")
        links = workbook_links(html, page)
        if not links:
            raise UpdateError(page, "links no participatingAgencies<MMDDYYYY><am|pm>.xlsx "
                                    "workbook: ICE may have changed the page.",
                              "Find the workbook on the page by hand and pass its address "
                              "with --url (or download it and run python -m trustlab "
                              "refresh-287g FILE.xlsx).")
        url = links[0][2]
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    if not name or not ice.workbook_date(name):
        raise UpdateError(url, "does not end in ICE's file name "
                               "(participatingAgencies<MMDDYYYY><am|pm>.xlsx), which gives the "
                               "date of the list.",
                          "Download it by hand and run python -m trustlab refresh-287g FILE "
                          "--as-of YYYY-MM-DD.")
    body = fetch(url)
    path = folder / Path(name).name
    path.write_bytes(body)
    return path, url, page


# --------------------------------------------------------------------------------------
# What changed


def _key(row: dict) -> tuple[str, str, str]:
    return (row["state"], row["agency"].casefold(), row["model"])


@dataclass
class Changes:
    """The difference between the course's list and ICE's new one."""

    before: list[dict]
    after: list[dict]
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    altered: list[tuple[dict, dict]] = field(default_factory=list)  # same key, other values

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.altered)


def compare(before: list[dict], after: list[dict]) -> Changes:
    """Agreements added, removed and altered, matched by state, agency (case-insensitive) and
    model; an agency renamed by ICE shows as one removed and one added."""
    out = Changes(before, after)
    old: dict[tuple, list[dict]] = {}
    new: dict[tuple, list[dict]] = {}
    for r in before:
        old.setdefault(_key(r), []).append(r)
    for r in after:
        new.setdefault(_key(r), []).append(r)
    for k in sorted(set(old) | set(new)):
        a = [tuple(r[c] for c in _COMPARED) for r in old.get(k, [])]
        b = [tuple(r[c] for c in _COMPARED) for r in new.get(k, [])]
        if Counter(a) == Counter(b):
            continue
        if len(a) == len(b) == 1:
            out.altered.append((old[k][0], new[k][0]))
            continue
        gone, came = Counter(a) - Counter(b), Counter(b) - Counter(a)
        out.removed += [dict(zip(_COMPARED, t, strict=True)) for t in gone.elements()]
        out.added += [dict(zip(_COMPARED, t, strict=True)) for t in came.elements()]
    order = lambda r: (r["state"], r["agency"].casefold(), r["model"])  # noqa: E731
    out.added.sort(key=order)
    out.removed.sort(key=order)
    return out


# ice.tally's keys, as the summary's rows name them
_COUNT_LABELS = {"agreements": "agreements", "jail_enforcement": ice.MODELS[0],
                 "task_force": ice.MODELS[1], "warrant_service_officer": ice.MODELS[2],
                 "agencies": "distinct agencies", "states": "states"}


def _counts(rows: list[dict]) -> dict[str, int]:
    t = ice.tally((r["state"], r["agency"], r["model"]) for r in rows)
    return {label: t[key] for key, label in _COUNT_LABELS.items()}


def _change(a: int, b: int) -> str:
    return f"{b - a:+d}" if b != a else "0"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _agreement_table(rows: list[dict]) -> list[str]:
    lines = ["| state | agency | model | signed |", "|---|---|---|---|"]
    lines += [f"| {r['state']} | {_md(r['agency'])} | {r['model']} | {r['signed'] or '—'} |"
              for r in rows]
    return lines


def _edition(as_of: str, edition: str) -> str:
    d = date.fromisoformat(as_of)
    return f"{d.day} {d:%B %Y}" + (f" ({edition})" if edition else "")


def summary_markdown(changes: Changes, wb: ice.Workbook, previous: dict | None,
                     url: str, page: str, sha256: str, today: date,
                     written: list[str]) -> str:
    """The dated "what changed" note (Markdown; also the pull request's body)."""
    new_label = _edition(wb.as_of.isoformat(), wb.edition)
    old_label = (_edition(previous["as_of"], previous.get("edition", "")) if previous
                 else "none")
    before, after = _counts(changes.before), _counts(changes.after)
    lines = [
        f"# 287(g) list update: ICE's list of {new_label}",
        "",
        f"Downloaded on {today.isoformat()} by `python -m trustlab update-287g` from "
        f"<{url}>" + (f" (linked from <{page}>)" if page else "") + ".",
        f"Workbook `{wb.path.name}`, sha256 `{sha256}`.",
        f"Before: the list the course had, {old_label}. After: ICE's list of {new_label}.",
        "",
        "## Counts by model",
        "",
        "| | before | after | change |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {k} | {before[k]:,} | {after[k]:,} | {_change(before[k], after[k])} |"
              for k in before]
    old_states = Counter(r["state"] for r in changes.before)
    new_states = Counter(r["state"] for r in changes.after)
    moved = sorted(s for s in set(old_states) | set(new_states)
                   if old_states[s] != new_states[s])
    same = sorted(s for s in set(old_states) & set(new_states) if s not in moved)
    lines += ["", "## Agreements by state", ""]
    if moved:
        lines += ["| state | before | after | change |", "|---|---:|---:|---:|"]
        lines += [f"| {s} | {old_states[s]} | {new_states[s]} | "
                  f"{_change(old_states[s], new_states[s])} |" for s in moved]
        lines.append("")
    lines.append(f"Unchanged: {len(same)} state(s)" + (f" ({', '.join(same)})." if same
                                                        else "."))
    lines += ["", f"## Agreements added ({len(changes.added)})", ""]
    lines += _agreement_table(changes.added) if changes.added else ["None."]
    lines += ["", f"## Agreements removed ({len(changes.removed)})", ""]
    lines += _agreement_table(changes.removed) if changes.removed else ["None."]
    lines += ["", f"## Agreements with changed details ({len(changes.altered)})", ""]
    if changes.altered:
        for old, new in changes.altered:
            diffs = "; ".join(f"{c}: {old[c] or '—'} → {new[c] or '—'}" for c in _COMPARED
                              if old[c] != new[c])
            lines.append(f"- {new['state']}, {_md(new['agency'])}, {new['model']}: "
                         f"{_md(diffs)}")
    else:
        lines.append("None.")
    warns = wb.warnings
    fixed = len(wb.repairs) - len(warns)
    lines += ["", "## Repairs and warnings", "",
              f"{fixed} cell(s) of ICE's workbook repaired (each recorded in the row's "
              f"`repair` column); {len(warns)} value(s) could not be repaired (rows kept)."]
    lines += [f"- {_md(str(r))}" for r in warns]
    lines += ["", "## Files written", ""]
    lines += [f"- `{p}`" for p in written]
    lines += [
        "", "## Before merging", "",
        "- [ ] Update the titles and datasheets of the four tables in "
        "`datasets/datapackage.json` (they name the list's date and counts; "
        "`tests/test_ice.py::test_datasheets_describe_the_shipped_list` fails until they "
        "do).",
        "- [ ] `make notebooks` and `make book`, then reread the sentences around the counts "
        "in the chapters.",
        "- [ ] Check the warnings above (if any) against ICE's page.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# The run


@dataclass
class UpdateResult:
    changed: bool
    message: str  # what to print
    summary: str = ""  # the Markdown summary ("" when unchanged)
    summary_path: Path | None = None
    workbook: Path | None = None
    url: str = ""
    failed: list[str] = field(default_factory=list)  # steps that failed after the swap


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _newest_snapshot(folder: Path) -> dict | None:
    snaps = [r for r in _read_rows(folder / "ice_snapshots.csv") if r.get("as_of")]
    return max(snaps, key=ice._snapshot_key) if snaps else None


def _previous_snapshot(folder: Path, as_of: str) -> dict | None:
    rows = [r for r in _read_rows(folder / "ice_snapshots.csv") if r.get("as_of") == as_of]
    return max(rows, key=ice._snapshot_key) if rows else None


def update(out: str | Path | None = None, page_url: str | None = None, url: str | None = None,
           keep: str | Path | None = None, force: bool = False, dry_run: bool = False,
           note: str | None = None, summary_copy: str | Path | None = None,
           today: date | None = None, say=None) -> UpdateResult:
    """Download ICE's newest workbook and refresh the tables when it differs (see the module
    docstring). Raises :class:`~trustlab.data.DataError` (nothing changed) on any failure."""
    from . import data

    today = today or ice._today()
    folder = Path(out) if out else data.data_dir()
    if folder.is_dir():  # an interrupted refresh-287g: restore the old set before comparing
        ice.recover(folder, say)
    with tempfile.TemporaryDirectory(prefix="trustlab-update-287g-") as tmp:
        path, got_url, page = download(Path(tmp), page_url=page_url, url=url)
        if keep:
            keep_dir = Path(keep)
            keep_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, keep_dir / path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        wb = ice.read_workbook(path)  # a damaged or wrong file: DataError, nothing written
        current = folder / "agreements_287g.csv"
        if not current.is_file():
            current = data.data_dir() / "agreements_287g.csv"
        before = _read_rows(current)
        after = ice.agreements_rows(wb)
        changes = compare(before, after)
        label = _edition(wb.as_of.isoformat(), wb.edition)
        if not changes.changed:
            had = before[0]["as_of"] if before else "?"
            return _unchanged(label, had, path.name, got_url)
        newest = _newest_snapshot(folder)
        key = (wb.as_of.isoformat(), ice._EDITION_ORDER[wb.edition])
        if newest is not None and key < ice._snapshot_key(newest):
            return UpdateResult(False, f"Not newer: ICE's page links its list of {label} "
                                       f"({path.name}, {got_url}), older than the newest "
                                       "list the course has, "
                                       f"{_edition(newest['as_of'], newest.get('edition', ''))}"
                                       ". Nothing was written. (To record an older list, "
                                       "download it and run refresh-287g --snapshot-only.)",
                                url=got_url)
        previous = _previous_snapshot(folder, before[0]["as_of"]) if before else None
        if previous is None and before:
            previous = _previous_snapshot(data.data_dir(), before[0]["as_of"])
        prov = note if note is not None else (
            f"Downloaded by trustlab update-287g from {got_url} on {today.isoformat()}.")
        result = ice.refresh(path, out=out, dry_run=dry_run, force=force, note=prov,
                             say=say)
        shown = [ice._shown_path(p) for p in result.written.values()]
        summary_file = folder / UPDATES_FOLDER / (
            f"{wb.as_of.isoformat()}" + (f"-{wb.edition}" if wb.edition else "") + ".md")
        if not dry_run:
            shown.append(ice._shown_path(summary_file))
        text = summary_markdown(changes, wb, previous, got_url, page, digest, today, shown)
        if dry_run:
            return UpdateResult(True, f"{result.summary}\nDry run: nothing was written.",
                                text, None, Path(keep) / path.name if keep else None,
                                got_url)
        failed: list[str] = []
        try:
            summary_file.parent.mkdir(parents=True, exist_ok=True)
            summary_file.write_text(text, encoding="utf-8")
            if summary_copy:
                Path(summary_copy).write_text(text, encoding="utf-8")
        except OSError as exc:  # the tables stand: say so (exit 4), do not claim otherwise
            failed.append(f"write the summary ({ice.describe_os_error(exc)})")
        return UpdateResult(True, result.summary, text, summary_file,
                            Path(keep) / path.name if keep else None, got_url, failed)


def _unchanged(label: str, had: str, name: str, url: str) -> UpdateResult:
    had_label = had
    try:
        had_label = f"{date.fromisoformat(had).day} {date.fromisoformat(had):%B %Y}"
    except ValueError:
        pass
    return UpdateResult(False, f"Unchanged: ICE's list of {label} ({name}, {url}) holds the "
                               f"same agreements as the course's list of {had_label}. "
                               "Nothing was written.", url=url)


# --------------------------------------------------------------------------------------
# Optional checks after an update


def _offline_env(root: Path) -> dict[str, str]:
    env = dict(os.environ, TRUSTLAB_OFFLINE="1")
    guard = str(root / "tools" / "offline")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (guard, env.get("PYTHONPATH", "")) if p)
    return env


DATA_TESTS = ["tests/test_data.py", "tests/test_ice.py", "tests/test_validator.py",
              "tests/test_update.py"]


def checks(root: Path, rebuild: bool, test: bool, say=print) -> list[str]:
    """Run the optional steps with the network guard on; return the ones that failed."""
    bindir = Path(sys.executable).parent
    steps = []
    if rebuild:
        steps.append(("re-execute the data labs",
                      [sys.executable, "tools/execute_notebooks.py"]))
        steps.append(("build the book", [str(bindir / "jupyter-book"), "build", ".", "-W",
                                         "-n", "--keep-going"]))
    if test:
        steps.append(("run the data tests", [sys.executable, "-m", "pytest", "-q",
                                             *DATA_TESTS]))
    failed = []
    for what, cmd in steps:
        say(f"update-287g: {what}: {' '.join(cmd)}")
        proc = subprocess.run(cmd, cwd=root, env=_offline_env(root))
        if proc.returncode != 0:
            failed.append(f"{what} (exit {proc.returncode})")
    return failed
