"""trustlab — shared code for the Trust & Enforcement course.

* :mod:`trustlab.data` — ``load("name")``: validated, typed datasets (the only way data is read).
* :mod:`trustlab.charts` — one Altair builder per chart kind, with the course theme.
* :mod:`trustlab.widgets` — ipywidgets explorers for students, with a static-book fallback.
* :mod:`trustlab.ice` — parser for ICE's official 287(g) workbook (``refresh-287g``).
* :mod:`trustlab.sphinxext` — book extension: offline chart rendering, datasheets.
"""

__version__ = "0.2.0"  # the only place the version is written (pyproject.toml reads it)

import sys as _sys  # noqa: E402

if _sys.version_info < (3, 11):  # noqa: UP036 - a clear message on older Pythons (test_package.py)
    raise ImportError(
        f"trustlab needs Python 3.11 or newer, and this is Python "
        f"{_sys.version_info[0]}.{_sys.version_info[1]}. Install Python 3.11 or newer "
        "(https://www.python.org/downloads/) and make the environment again with it, e.g. "
        "`make book PYTHON=python3.12`.")

# Start-up time. jsonschema, which Altair and Jupyter Book import, also loads the optional IRI
# checker `rfc3987_syntax` when it is installed (JupyterLab's event system installs it); that
# module compiles a grammar when imported, about a second in every notebook kernel and every
# book build. Nothing in the course validates IRIs, so a process that imports trustlab first
# (every build and test process does, through tools/offline; the notebooks import it in their
# first cell) lets jsonschema go without it. A process that has already loaded jsonschema, or
# rfc3987_syntax itself, is left as it is.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)


def __getattr__(name: str):
    # trustlab.load, trustlab.DataError and trustlab.data are imported when first used, not
    # with the package: trustlab.data imports pandas (0.4 s), which the book build's own
    # process (the Sphinx extension) seldom needs.
    if name in ("DataError", "load", "data"):
        import importlib

        data = importlib.import_module(f"{__name__}.data")
        return data if name == "data" else getattr(data, name)
    raise AttributeError(f"module 'trustlab' has no attribute {name!r}")


class Text:
    """A value to ``glue`` into prose that renders as plain text (a glued str would show its
    quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


__all__ = ["DataError", "Text", "load", "__version__"]
