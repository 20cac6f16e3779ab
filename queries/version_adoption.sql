-- Adoption by version: deployments per product version per day over the last 28 full UTC days. Each deployment
-- counts once a day, under the version of its latest received report for that day.
SELECT report_day, version, count(*) AS deployments
FROM (
    SELECT report_day, stack_id, max_by(version, received_at) AS version
    FROM (
        SELECT
            COALESCE(TRY_CAST(report_date AS DATE), CAST(from_unixtime(received_at / 1000) AS DATE)) AS report_day,
            stack_id, version, received_at
        FROM reports
        WHERE stack_id IS NOT NULL
          AND dt >= date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')
    ) AS recent
    WHERE report_day BETWEEN current_date - INTERVAL '28' DAY AND current_date - INTERVAL '1' DAY
    GROUP BY report_day, stack_id
) AS latest
GROUP BY report_day, version
ORDER BY report_day, version
