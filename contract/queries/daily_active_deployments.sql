-- Active deployments per day over the last 7 full UTC days (today excluded): how many distinct stack_ids sent
-- a report for each day, late or retried reports included. Reads only the partitions delivered since the window
-- began, plus the day before it: Firehose stamps an object with the arrival day of its oldest record, so a report
-- received just after midnight can sit in the previous day's object.
WITH {dated_reports}
SELECT report_day, count(DISTINCT stack_id) AS active_deployments
FROM dated_reports
WHERE dt >= date_format(current_date - INTERVAL '8' DAY, '%Y-%m-%d')
  AND report_day BETWEEN current_date - INTERVAL '7' DAY AND current_date - INTERVAL '1' DAY
GROUP BY report_day
ORDER BY report_day
