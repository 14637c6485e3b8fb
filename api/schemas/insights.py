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


class SummaryOut(BaseModel):
    range: RangeOut
    filters: FiltersOut
    totals: FiguresOut
    by_channel: list[GroupOut]
    by_locale: list[GroupOut]
    by_article: list[GroupOut]
    no_result_terms: list[TermOut] = Field(description="Questions with no good answer, most asked first")


class DailyOut(BaseModel):
    range: RangeOut
    filters: FiltersOut
    days: list[GroupOut] = Field(description="Every day of the range, oldest first, empty days included")
