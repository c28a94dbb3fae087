"""Which course files a page read while it ran: the book build's data-aware rebuilds.

When the book is built, every page is executed in its own kernel and its outputs are cached.
Those outputs depend on the page's code (which the execution cache sees) and on the datasets,
bibliography and ``trustlab`` modules the code read (which it cannot see). The book extension
(:mod:`trustlab.sphinxext`) sets ``$TRUSTLAB_READS_LOG`` to a fresh file before it executes a
page; this module appends one line per dependency to that file:

* ``file <path>``: a whole file (a CSV, a schema, ``references.bib``, the map geometry);
* ``resource <path>#<name>``: one dataset's entry of ``datapackage.json`` (so editing one
  datasheet does not re-execute pages that never read that dataset);
* ``module <path>``: a ``trustlab`` module the kernel had imported, written at each read and
  again when the kernel exits (``end``), so a module imported late is still seen.

The extension turns the lines into content digests. On the next build, a page whose recorded
inputs changed is re-read and re-executed; pages whose inputs did not change keep their cache.
Outside a book build the variable is unset and nothing is written.
"""

from __future__ import annotations

import atexit
import os
import sys

ENV = "TRUSTLAB_READS_LOG"
# Set by the book build as well: once the kernel has written "end", it leaves without Python's
# teardown (freeing every module and object of pandas, Altair and the page), which took about
# 0.2 s of every page's execution. Its outputs were all delivered before it was asked to stop.
FAST_EXIT_ENV = "TRUSTLAB_FAST_EXIT"
_seen: set[str] = set()
_modules_written: set[str] = set()


def _log_path() -> str | None:
    return os.environ.get(ENV) or None


def _write(lines: list[str]) -> None:
    log = _log_path()
    if not log or not lines:
        return
    try:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
    except OSError:
        # Recording is a build aid: if it fails the extension sees no "end" line and
        # treats the page as depending on everything (correct, only slower).
        pass


def _module_lines() -> list[str]:
    out = []
    for name, mod in list(sys.modules.items()):
        if name == "trustlab" or name.startswith("trustlab."):
            f = getattr(mod, "__file__", None)
            if f and f not in _modules_written:
                _modules_written.add(f)
                out.append(f"module {f}")
    return out


def note(kind: str, target: str) -> None:
    """Record that the running code read ``target`` (``kind`` is ``file`` or ``resource``)."""
    if _log_path() is None:
        return
    line = f"{kind} {target}"
    lines = [] if line in _seen else [line]
    _seen.add(line)
    _write(lines + _module_lines())


def _at_exit() -> None:
    if _log_path() is not None:
        _write([*_module_lines(), "end"])
        if os.environ.get(FAST_EXIT_ENV) == "1":
            for stream in (sys.__stdout__, sys.__stderr__):
                try:
                    stream.flush()
                except (AttributeError, OSError, ValueError):
                    pass
            os._exit(0)


if _log_path() is not None:
    atexit.register(_at_exit)
    _write(_module_lines())
