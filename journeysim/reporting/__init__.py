"""Text and figures from result tables. Never runs a simulation; the only room that draws.

Result objects delegate to it (``Comparison.figures()``, ``BudgetOptimisation.summary()``), as
``DataFrame.plot`` delegates to ``pandas.plotting``. ``report.html`` (:mod:`.report_html`,
with :mod:`.report_data`, :mod:`.report_maps`, :mod:`.report_sections`, :mod:`.report_svg`,
:mod:`.report_figures` and the Jinja2 templates in ``templates/``) is drawn here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "media_mix_figure": "journeysim.reporting.observation_figures",
    "tracking_error_figure": "journeysim.reporting.observation_figures",
    "comparison_text": "journeysim.reporting.comparison_summary",
    "funnel_figure": "journeysim.reporting.figures",
    "journey_map_figure": "journeysim.reporting.figures",
    "loyalty_figure": "journeysim.reporting.figures",
    "queue_figure": "journeysim.reporting.figures",
    "render_experiment_report": "journeysim.reporting.report_html",
    "render_folder": "journeysim.reporting.report_html",
    "render_run_report": "journeysim.reporting.report_html",
    "run_summary": "journeysim.reporting.run_text",
    "save": "journeysim.reporting.figures",
}

if TYPE_CHECKING:
    from journeysim.reporting.comparison_summary import comparison_text
    from journeysim.reporting.figures import (
        funnel_figure,
        journey_map_figure,
        loyalty_figure,
        queue_figure,
        save,
    )
    from journeysim.reporting.observation_figures import (
        media_mix_figure,
        tracking_error_figure,
    )
    from journeysim.reporting.report_html import (
        render_experiment_report,
        render_folder,
        render_run_report,
    )
    from journeysim.reporting.run_text import run_summary

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
