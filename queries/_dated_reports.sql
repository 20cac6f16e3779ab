-- Shared by every saved query (the loader puts it where a query writes {dated_reports}): the reports that name
-- a deployment, each with its report day. A report without a valid report_date (older reporters) counts on
-- the UTC day it was received. `dt` passes through so a query's partition filter still prunes.
dated_reports AS (
    SELECT
        COALESCE(TRY_CAST(report_date AS DATE), CAST(from_unixtime(received_at / 1000) AS DATE)) AS report_day,
        stack_id, version, metrics, received_at, request_id, dt
    FROM reports
    WHERE stack_id IS NOT NULL
)
