"""Insights: the figures support leads run on, per channel, locale, article revision and day.

Imports `contacts` and `kb` only (DESIGN.md section 2); `api` shows it (CLI, API, admin page).
Importing it registers the hourly roll-up job (`insights.rollup`) on kb's job runner.
Other packages import from here, never from the submodules.
"""

from insights.drill import CaseLine, cases_behind
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
from insights.models import CoarseRollup, DailyRollup, SearchTerm
from insights.rollups import JOB, built_days, counters, rebuild, rebuild_today, roll_up
from insights.search_terms import UnopenedTerm, record_search, unopened_terms
from insights.summary import Group, Range, Summary, as_json, daily, parse_range, summary

__all__ = [
    "JOB",
    "CaseLine",
    "CoarseRollup",
    "Counter",
    "DailyRollup",
    "Figures",
    "Filters",
    "Group",
    "InsightsError",
    "Measure",
    "Range",
    "SearchTerm",
    "Slice",
    "Summary",
    "Term",
    "UnopenedTerm",
    "as_json",
    "built_days",
    "cases_behind",
    "company_day",
    "counters",
    "daily",
    "figures_of",
    "follow_up_window",
    "live_counters",
    "parse_range",
    "rebuild",
    "rebuild_today",
    "record_search",
    "roll_up",
    "summary",
    "unopened_terms",
]
