-- New deployments per week (weeks start on Monday, UTC): each stack_id counts once, in the week of the first
-- day it reported. A first sighting can be on any day, so this reads the whole table; the warehouse's report
-- retention bounds both the scan and how far back "first" reaches.
WITH {dated_reports}
SELECT CAST(date_trunc('week', first_day) AS DATE) AS week_start, count(*) AS new_deployments
FROM (
    SELECT stack_id, min(report_day) AS first_day
    FROM dated_reports
    GROUP BY stack_id
) AS firsts
GROUP BY CAST(date_trunc('week', first_day) AS DATE)
ORDER BY week_start
