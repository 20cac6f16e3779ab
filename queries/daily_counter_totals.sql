-- Totals per counter per day across deployments over the last 28 full UTC days, from the deduplicated reports
-- (the latest received copy per deployment and day), with how many deployments reported each counter.
-- Counters are read from the metrics struct by name, so a counter added to the schema appears here unedited.
-- Totals are summed as DECIMAL(38,0): a BIGINT sum fails the whole query on overflow, whatever is stored.
WITH {dated_reports},
latest AS (
    SELECT report_day, stack_id, max_by(metrics, received_at) AS metrics
    FROM dated_reports
    WHERE dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
      AND report_day BETWEEN current_date - INTERVAL '28' DAY AND current_date - INTERVAL '1' DAY
    GROUP BY report_day, stack_id
),
counters AS (
    SELECT report_day, stack_id, CAST(CAST(metrics AS JSON) AS MAP(VARCHAR, BIGINT)) AS totals
    FROM latest
)
SELECT report_day, counter, sum(CAST(total AS DECIMAL(38, 0))) AS total, count(DISTINCT stack_id) AS deployments
FROM counters
CROSS JOIN UNNEST(map_keys(totals), map_values(totals)) AS reported (counter, total)
WHERE total IS NOT NULL
GROUP BY report_day, counter
ORDER BY report_day, counter
