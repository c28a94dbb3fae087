"""trustlab — shared code for the Trust & Enforcement course.

* :mod:`trustlab.data` — ``load("name")``: validated, typed datasets (the only way data is read).
* :mod:`trustlab.charts` — one Altair builder per chart kind, with the course theme.
* :mod:`trustlab.widgets` — ipywidgets explorers for students, with a static-book fallback.
* :mod:`trustlab.ice` — parser for ICE's official 287(g) workbook (``refresh-287g``).
* :mod:`trustlab.sphinxext` — book extension: offline chart rendering, datasheets.
"""

__version__ = "0.1.0"

from .data import DataError, load  # noqa: E402


class Text:
    """A value to ``glue`` into prose that renders as plain text (a glued str would show its
    quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


__all__ = ["DataError", "Text", "load", "__version__"]
