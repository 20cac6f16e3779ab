-- Reports deduplicated to one row per deployment (stack_id) and report day, keeping the latest received copy:
-- reporters retry, so duplicates are normal. A report without report_date (older reporters) counts on the UTC
-- day it was received. Reads every partition; add a dt filter to bound the scan.
WITH {dated_reports},
ranked AS (
    SELECT
        dated_reports.*,
        row_number() OVER (PARTITION BY stack_id, report_day ORDER BY received_at DESC, request_id DESC) AS copy_rank
    FROM dated_reports
)
SELECT report_day, stack_id, version, metrics, received_at, request_id
FROM ranked
WHERE copy_rank = 1
ORDER BY report_day, stack_id
