-- Adoption by version: deployments per product version per day over the last 28 full UTC days. Each deployment
-- counts once a day, under the version of its latest received report for that day.
WITH {dated_reports}
SELECT report_day, version, count(*) AS deployments
FROM (
    SELECT report_day, stack_id, max_by(version, received_at) AS version
    FROM dated_reports
    WHERE dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
      AND report_day BETWEEN current_date - INTERVAL '28' DAY AND current_date - INTERVAL '1' DAY
    GROUP BY report_day, stack_id
) AS latest
GROUP BY report_day, version
ORDER BY report_day, version
