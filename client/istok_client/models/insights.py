"""Insights for support leads: figures over company days, each with the number of items behind it."""

# No `from __future__ import annotations`, like the other model modules (TypedDict key sets).

from typing import TypedDict


class InsightsMeasure(TypedDict):
    value: float | None  # a share 0..1 or a mean; None when nothing is behind it
    items: int  # how many items the value is computed over


class InsightsFigures(TypedDict):
    questions: int
    answered: int
    handed_off: int
    self_service: InsightsMeasure
    answers: int
    false_deflected: int
    false_deflection: InsightsMeasure  # over answers to known contacts
    followable: InsightsMeasure  # answers to known contacts / all answers
    helpful: int
    not_helpful: int
    helpfulness: InsightsMeasure
    reasons: dict[str, int]
    cases_opened: int
    cases_resolved: int
    cases_reopened: int  # resolved, then the same contact opened one on its topic within the window
    resolution_hours: InsightsMeasure
    csat: InsightsMeasure
    csat_satisfied: InsightsMeasure
    first_response_hours: InsightsMeasure  # where the channel reports a person's first reply
    cases_switched: int
    channel_switches: int
    nps: InsightsMeasure  # promoters - detractors, points -100..100
    nps_promoters: int
    nps_detractors: int


class InsightsGroup(TypedDict):
    name: str  # a channel, a locale, `key@locale#revision` or a day
    figures: InsightsFigures


class InsightsRange(TypedDict):
    first: str
    last: str
    zone: str


class InsightsFilters(TypedDict):
    channel: str | None
    locale: str | None
    category: str | None


class InsightsTerm(TypedDict):
    question: str
    locale: str
    channel: str
    count: int
    last_seen: str


class InsightsUnopenedTerm(TypedDict):
    term: str
    locale: str
    surface: str  # help or panel
    searches: int


class InsightsFinding(TypedDict):
    kind: str
    locale: str | None
    key: str | None
    subject: str
    action: str
    link: str


class InsightsHealth(TypedDict):
    findings: list[InsightsFinding]


class InsightsSummary(TypedDict):
    range: InsightsRange
    filters: InsightsFilters
    totals: InsightsFigures
    by_channel: list[InsightsGroup]
    by_locale: list[InsightsGroup]
    by_article: list[InsightsGroup]
    no_result_terms: list[InsightsTerm]
    unopened_terms: list[InsightsUnopenedTerm]


class InsightsDaily(TypedDict):
    range: InsightsRange
    filters: InsightsFilters
    days: list[InsightsGroup]
