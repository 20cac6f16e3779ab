-- Totals per counter per day across deployments over the last 28 full UTC days, from the deduplicated reports
-- (the latest received copy per deployment and day), with how many deployments reported each counter.
-- Counters are read from the metrics struct by name, so a counter added to the schema appears here unedited.
-- Totals are summed as DECIMAL(38,0): a BIGINT sum fails the whole query on overflow, whatever is stored.
WITH {dated_reports},
{reported_totals}
SELECT report_day, counter, sum(CAST(total AS DECIMAL(38, 0))) AS total, count(DISTINCT stack_id) AS deployments
FROM reported_totals
GROUP BY report_day, counter
ORDER BY report_day, counter
