-- Data that looks poisoned, over the last 28 full UTC days (reports are anonymous: one client can send totals
-- near the maximum under many fresh stack_ids, or dates far from the day it sent them). One row per finding:
-- 'counter far above the fleet' is a deployment's daily total (value) at least 10 times the counter's 99th
-- percentile over the window (usual), or at least a tenth of the schema's daily maximum; totals under 10,000
-- are too small to move a sum and never listed. 'burst of new deployments' is a day whose first-seen
-- stack_ids (value) are at least 10 times the median of the earlier 28 days that had any (usual, 1 without
-- history). 'report_date outside the window' is a report no other query counts: day is when it was received,
-- detail the date it claimed and value how many days that is from the receive day. First sightings read the
-- whole table, as new_deployments_per_week does.
WITH {dated_reports},
{reported_totals},
fleet AS (
    SELECT counter, CAST(approx_percentile(total, 0.99) AS DOUBLE) AS p99
    FROM reported_totals
    GROUP BY counter
),
high_totals AS (
    SELECT reported_totals.report_day AS day, 'counter far above the fleet' AS finding, reported_totals.stack_id,
           reported_totals.counter AS detail, reported_totals.total AS value, fleet.p99 AS usual
    FROM reported_totals
    JOIN fleet ON fleet.counter = reported_totals.counter
    WHERE CAST(reported_totals.total AS DOUBLE) >= 10000
      AND (CAST(reported_totals.total AS DOUBLE) >= 10 * fleet.p99
           OR CAST(reported_totals.total AS DOUBLE) >= CAST({counter_maximum} AS DOUBLE) / 10)
),
new_per_day AS (
    SELECT first_day AS day, count(*) AS new_deployments
    FROM (SELECT stack_id, min(report_day) AS first_day FROM dated_reports GROUP BY stack_id) AS firsts
    GROUP BY first_day
),
bursts AS (
    SELECT recent.day, 'burst of new deployments' AS finding, CAST(NULL AS VARCHAR) AS stack_id,
           CAST(NULL AS VARCHAR) AS detail, recent.new_deployments AS value,
           COALESCE(CAST(approx_percentile(earlier.new_deployments, 0.5) AS DOUBLE), 1) AS usual
    FROM new_per_day AS recent
    LEFT JOIN new_per_day AS earlier
      ON earlier.day BETWEEN recent.day - INTERVAL '28' DAY AND recent.day - INTERVAL '1' DAY
    WHERE recent.day >= current_date - INTERVAL '28' DAY AND recent.day <= current_date - INTERVAL '1' DAY
    GROUP BY recent.day, recent.new_deployments
    HAVING CAST(recent.new_deployments AS DOUBLE)
        >= 10 * COALESCE(CAST(approx_percentile(earlier.new_deployments, 0.5) AS DOUBLE), 1)
),
outside_window AS (
    SELECT CAST(from_unixtime(reports.received_at / 1000) AS DATE) AS day, 'report_date outside the window' AS finding,
           reports.stack_id, reports.report_date AS detail,
           date_diff('day', CAST(from_unixtime(reports.received_at / 1000) AS DATE),
                     TRY_CAST(reports.report_date AS DATE)) AS value,
           CAST(NULL AS DOUBLE) AS usual
    FROM reports
    LEFT JOIN dated_reports ON dated_reports.request_id = reports.request_id
      AND dated_reports.dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
    WHERE reports.dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
      AND reports.stack_id IS NOT NULL{product_filter}
      AND dated_reports.request_id IS NULL
      AND CAST(from_unixtime(reports.received_at / 1000) AS DATE)
          BETWEEN current_date - INTERVAL '28' DAY AND current_date - INTERVAL '1' DAY
)
SELECT day, finding, stack_id, detail, value, usual
FROM (
    SELECT * FROM high_totals
    UNION ALL
    SELECT * FROM bursts
    UNION ALL
    SELECT * FROM outside_window
) AS findings
ORDER BY day, finding, stack_id, detail
