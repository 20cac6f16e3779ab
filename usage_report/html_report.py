"""`--html PATH`: the saved queries' answers as one page (usage_report/html_page.py), with each section's window and
description read from its SQL, and the summary from the answers (usage_report/summary.py)."""

import datetime
from pathlib import Path

from contract.queries import description
from usage_report.html_page import Section, render_page
from usage_report.query_windows import window_of
from usage_report.results import QueryResult
from usage_report.sections import SECTIONS
from usage_report.summary import FRESHNESS, summarize


def write_html(
    path: Path,
    *,
    answers: dict[str, QueryResult],
    sql_by_name: dict[str, str],
    section_names: list[str],
    source: str,
    today: datetime.date,
    generated_at: datetime.datetime,
) -> Path:
    sections = [
        Section(
            name, SECTIONS[name], description(sql_by_name[name]), window_of(sql_by_name[name], today), answers[name]
        )
        for name in section_names
    ]
    page = render_page(
        summary=summarize(answers, today),
        freshness_window=window_of(sql_by_name[FRESHNESS], today),
        sections=sections,
        source=source,
        today=today,
        generated_at=generated_at,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
