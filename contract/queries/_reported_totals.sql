-- Shared by daily_counter_totals and suspicious_reports (after {dated_reports}): each deployment's latest received
-- report per day over the last 28 full UTC days (reporters retry), one row per counter it reported. Counters are
-- read from the metrics struct by name, so a counter added to the schema appears here unedited.
latest AS (
    SELECT report_day, stack_id, max_by(metrics, received_at) AS metrics
    FROM dated_reports
    WHERE dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
      AND report_day BETWEEN current_date - INTERVAL '28' DAY AND current_date - INTERVAL '1' DAY
    GROUP BY report_day, stack_id
),
reported_totals AS (
    SELECT report_day, stack_id, counter, total
    FROM (SELECT report_day, stack_id, CAST(CAST(metrics AS JSON) AS MAP(VARCHAR, BIGINT)) AS totals FROM latest)
        AS counted
    CROSS JOIN UNNEST(map_keys(totals), map_values(totals)) AS reported (counter, total)
    WHERE total IS NOT NULL
)
