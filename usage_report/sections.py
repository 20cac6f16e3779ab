"""Which saved queries make up the report, in order, and what each is called on screen.

The SQL itself lives only in contract/queries/ (one file per saved query); this names five of them. Of the others,
deduplicated_reports (the latest copy per deployment and day) is for ad-hoc SQL and is not printed, and
data_freshness feeds the HTML page's summary (usage_report/summary.py).
"""

SECTIONS: dict[str, str] = {
    "daily_active_deployments": "Active deployments per day",
    "daily_counter_totals": "Totals per counter per day",
    "version_adoption": "Deployments per version per day",
    "new_deployments_per_week": "New deployments per week",
    "suspicious_reports": "Suspicious data (possible poisoning)",
}

# Findings of different kinds, one row each: a list to read, not series to draw.
TABLE_ONLY = {"suspicious_reports"}

# Counters measure different things, so on the HTML page each gets its own panel and scale: one counter at the
# schema's maximum then leaves the others readable, and summing the smallest into "other" would add unlike quantities.
PANEL_PER_LINE = {"daily_counter_totals"}
