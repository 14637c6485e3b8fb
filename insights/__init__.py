"""Insights: the figures support leads run on, per channel, locale, article revision and day.

Imports `contacts` and `kb` only (DESIGN.md section 2); `api` shows it (CLI, API, admin page).
Importing it registers the hourly roll-up job (`insights.rollup`) on kb's job runner.
Other packages import from here, never from the submodules.
"""

from insights.figures import (
    Counter,
    Figures,
    Filters,
    InsightsError,
    Measure,
    Slice,
    Term,
    company_day,
    figures_of,
    follow_up_window,
    live_counters,
)
from insights.models import DailyRollup
from insights.rollups import JOB, built_days, counters, rebuild, roll_up
from insights.summary import Group, Range, Summary, as_json, daily, parse_range, summary

__all__ = [
    "JOB",
    "Counter",
    "DailyRollup",
    "Figures",
    "Filters",
    "Group",
    "InsightsError",
    "Measure",
    "Range",
    "Slice",
    "Summary",
    "Term",
    "as_json",
    "built_days",
    "company_day",
    "counters",
    "daily",
    "figures_of",
    "follow_up_window",
    "live_counters",
    "parse_range",
    "rebuild",
    "roll_up",
    "summary",
]
