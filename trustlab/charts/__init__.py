"""Chart builders for the course: one function per kind of chart, reused by chapters,
data labs and exercises. Shared machinery (theme, titles, source lines, text descriptions,
the accessibility metadata the book's chart runtime reads) is in :mod:`trustlab.charts.base`;
each chapter's builders are in their own module (``history``, ``program``, ``crime``,
``trust``, ``practices``). Everything is importable from ``trustlab.charts``.

Importing this package switches Altair to the ``mimetype`` renderer (charts are stored in
notebooks as Vega-Lite JSON: JupyterLab draws them offline, the book draws them with its own
JavaScript, and outputs carry no random ids) and enables the course theme.
"""

from .base import FONT, PALETTE, WIDTH, finish, param_names, source_text, when, wrap_subtitle
from .crime import (
    DIRECTION_COLORS,
    DIRECTIONS,
    crime_did_explorer,
    crime_placebo,
    crime_study_results,
)
from .history import (
    CH1_WIDTH,
    TIMELINE_CATEGORIES,
    administration_totals,
    historic_estimates,
    removals_returns,
    timeline,
)
from .practices import policy_builder, programs_explorer, u_visa_backlog
from .program import (
    MODEL_COLORS,
    MODELS_287G,
    _stated,
    agreements_map,
    agreements_timeline,
    state_counts,
    state_laws_map,
    us_states_topojson,
)
from .trust import (
    ncvs_reporting_rates,
    police_changes_2017,
    survey_by_status,
    underreporting_simulator,
)

__all__ = [
    "CH1_WIDTH", "DIRECTIONS", "DIRECTION_COLORS", "FONT", "MODELS_287G", "MODEL_COLORS",
    "PALETTE", "TIMELINE_CATEGORIES", "WIDTH", "_stated", "administration_totals",
    "agreements_map", "agreements_timeline", "crime_did_explorer", "crime_placebo",
    "crime_study_results", "finish", "historic_estimates", "ncvs_reporting_rates",
    "param_names", "police_changes_2017", "policy_builder", "programs_explorer",
    "removals_returns", "source_text", "state_counts", "state_laws_map", "survey_by_status",
    "timeline", "u_visa_backlog", "underreporting_simulator", "us_states_topojson", "when",
    "wrap_subtitle",
]
