-- How fresh the warehouse is: the latest report day before today (UTC) and when the newest report was received
-- (received_at, epoch milliseconds, the collector's clock), over the partitions delivered in the last 28 days,
-- today included. A report_day from a future date (anonymous input) is not counted as fresh. No row means no
-- report arrived in that time.
WITH {dated_reports}
SELECT
    max(report_day) FILTER (WHERE report_day < current_date) AS last_report_day,
    max(received_at) AS newest_received_at
FROM dated_reports
WHERE dt >= date_format(current_date - INTERVAL '28' DAY, '%Y-%m-%d')
HAVING count(*) > 0
