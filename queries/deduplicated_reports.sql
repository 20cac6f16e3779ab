-- Reports deduplicated to one row per deployment (stack_id) and report day, keeping the latest received copy:
-- reporters retry, so duplicates are normal. A report without report_date (older reporters) counts on the UTC
-- day it was received. Reads every partition; add a dt filter to bound the scan.
WITH dated AS (
    SELECT
        COALESCE(TRY_CAST(report_date AS DATE), CAST(from_unixtime(received_at / 1000) AS DATE)) AS report_day,
        stack_id, version, metrics, received_at, request_id
    FROM reports
    WHERE stack_id IS NOT NULL
),
ranked AS (
    SELECT
        dated.*,
        row_number() OVER (PARTITION BY stack_id, report_day ORDER BY received_at DESC, request_id DESC) AS copy_rank
    FROM dated
)
SELECT report_day, stack_id, version, metrics, received_at, request_id
FROM ranked
WHERE copy_rank = 1
ORDER BY report_day, stack_id
