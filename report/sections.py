"""Which saved queries make up the report, in order, and what each is called on screen.

The SQL itself lives only in queries/ (one file per saved query); this names four of them. The fifth,
deduplicated_reports (the latest copy per deployment and day), is for ad-hoc SQL and is not printed.
"""

SECTIONS: dict[str, str] = {
    "daily_active_deployments": "Active deployments per day",
    "daily_counter_totals": "Totals per counter per day",
    "version_adoption": "Deployments per version per day",
    "new_deployments_per_week": "New deployments per week",
}
