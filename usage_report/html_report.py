"""`--html PATH`: the saved queries' answers as one page (usage_report/html_page.py), with each section's window and
description read from its SQL, and the summary from the answers (usage_report/summary.py). A stack that names its
products gets a part per product (usage_report/product_parts.py); one that names none, the page as released."""

import datetime
from pathlib import Path

from contract.queries import description
from usage_report.html_page import ProductPart, Section, render_page, render_products_page
from usage_report.product_parts import PartAnswers
from usage_report.query_windows import window_of
from usage_report.summary import FRESHNESS, summarize


def _sections(answered: PartAnswers, section_names: list[str], today: datetime.date) -> list[Section]:
    part, sql_by_name = answered.part, answered.sql_by_name
    return [
        Section(
            name,
            part.title(name),
            description(sql_by_name[name]),
            window_of(sql_by_name[name], today),
            answered.answers[name],
            part.saved_name(name),
        )
        for name in section_names
    ]


def write_html(
    path: Path,
    *,
    parts: list[PartAnswers],
    section_names: list[str],
    source: str,
    today: datetime.date,
    generated_at: datetime.datetime,
) -> Path:
    def freshness_window(answered: PartAnswers):
        return window_of(answered.sql_by_name[FRESHNESS], today)

    if [answered.part.product for answered in parts] == [None]:
        (answered,) = parts
        page = render_page(
            summary=summarize(answered.answers, today),
            freshness_window=freshness_window(answered),
            sections=_sections(answered, section_names, today),
            source=source,
            today=today,
            generated_at=generated_at,
        )
    else:
        page = render_products_page(
            products=[
                ProductPart(
                    answered.part.product.id,
                    answered.part.product.display_name,
                    answered.part.prefix,
                    summarize(answered.answers, today),
                    freshness_window(answered),
                    _sections(answered, section_names, today),
                )
                for answered in parts
                if answered.part.product is not None
            ],
            source=source,
            today=today,
            generated_at=generated_at,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
