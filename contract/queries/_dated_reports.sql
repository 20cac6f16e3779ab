-- Shared by every saved query (the loader puts it where a query writes {dated_reports}): the reports that name
-- a deployment, each with its report day. A report without a valid report_date (older reporters) counts on
-- the UTC day it was received. A report_date is the client's word: it counts only from
-- {report_date_earliest_days} days before the UTC day the collector received the report up to that day (the
-- longest an honest reporter's retries and replays take; docs/warehouse.md); suspicious_reports lists the others.
-- `dt` passes through so a query's partition filter still prunes.
dated_reports AS (
    SELECT report_day, stack_id, version, metrics, received_at, request_id, dt
    FROM (
        SELECT
            COALESCE(TRY_CAST(report_date AS DATE), CAST(from_unixtime(received_at / 1000) AS DATE)) AS report_day,
            CAST(from_unixtime(received_at / 1000) AS DATE) AS received_day,
            stack_id, version, metrics, received_at, request_id, dt
        FROM reports
        WHERE stack_id IS NOT NULL{product_filter}
    ) AS stamped
    WHERE report_day BETWEEN received_day - INTERVAL '{report_date_earliest_days}' DAY AND received_day
)
