"""Insights for support leads (issue #18): figures over company days, with what each is computed over."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class MeasureOut(BaseModel):
    value: float | None = Field(description="A share (0..1) or a mean; null when nothing is behind it")
    items: int = Field(description="How many items the value is computed over")


class FiguresOut(BaseModel):
    questions: int = Field(description="Interactions coming in")
    answered: int = Field(description="Questions Istok answered")
    handed_off: int = Field(description="Questions handed off or escalated to a person")
    self_service: MeasureOut = Field(description="answered / questions")
    answers: int
    false_deflected: int = Field(description="Answers to known contacts who came back within the window")
    false_deflection: MeasureOut = Field(description="false_deflected / answers to known contacts")
    followable: MeasureOut = Field(description="Answers to known contacts / all answers")
    helpful: int
    not_helpful: int
    helpfulness: MeasureOut = Field(description="helpful / votes")
    reasons: dict[str, int] = Field(description="Not-helpful votes per reason")
    cases_opened: int
    cases_resolved: int
    cases_reopened: int = Field(description="Resolved, then a new case on its topic within the window")
    resolution_hours: MeasureOut = Field(description="Mean hours from opening to resolution, cases resolved")
    csat: MeasureOut = Field(description="Mean score 1..5 of scored interactions")
    csat_satisfied: MeasureOut = Field(description="Share of scores 4 or 5")
    first_response_hours: MeasureOut = Field(description="Mean hours from opening to a person's first reply")
    cases_switched: int = Field(description="Resolved cases whose interactions changed channel")
    channel_switches: int = Field(description="Changes of channel within those cases")
    nps: MeasureOut = Field(description="Promoters (9-10) minus detractors (0-6), in points -100..100")
    nps_promoters: int
    nps_detractors: int


class GroupOut(BaseModel):
    name: str = Field(description="A channel, a locale, `key@locale#revision` or a day")
    figures: FiguresOut


class RangeOut(BaseModel):
    first: dt.date
    last: dt.date
    zone: str = Field(description="The company's time zone (ISTOK_TIMEZONE) the days are in")


class FiltersOut(BaseModel):
    channel: str | None
    locale: str | None
    category: str | None


class TermOut(BaseModel):
    question: str
    locale: str
    channel: str
    count: int
    last_seen: dt.datetime


class UnopenedTermOut(BaseModel):
    term: str = Field(description="As last searched, masked")
    locale: str
    surface: str = Field(description="help (the help center) or panel (the operator panel)")
    searches: int


class FindingOut(BaseModel):
    kind: str = Field(description="broken-link, unused-fact, contradicting-number, verification-due, …")
    locale: str | None
    key: str | None = Field(description="The article, if the finding is about one")
    subject: str
    action: str
    link: str = Field(description="The admin page where the action is taken")


class HealthOut(BaseModel):
    findings: list[FindingOut]


class SummaryOut(BaseModel):
    range: RangeOut
    filters: FiltersOut
    totals: FiguresOut
    by_channel: list[GroupOut]
    by_locale: list[GroupOut]
    by_article: list[GroupOut]
    no_result_terms: list[TermOut] = Field(description="Questions with no good answer, most asked first")
    unopened_terms: list[UnopenedTermOut] = Field(description="Terms searched with results, none opened")


class DailyOut(BaseModel):
    range: RangeOut
    filters: FiltersOut
    days: list[GroupOut] = Field(description="Every day of the range, oldest first, empty days included")
