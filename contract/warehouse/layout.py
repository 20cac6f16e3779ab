"""Where delivered reports live in the bucket: the one place both Firehose and Athena read it from."""

PARTITION_KEY = "dt"
PARTITION_FORMAT = "yyyy-MM-dd"  # Java date format: Firehose's !{timestamp:} and Athena projection share it
REPORTS_PREFIX = "reports/"
ERRORS_PREFIX = "errors/"

# Firehose stamps the UTC arrival day of the oldest record in each object.
FIREHOSE_REPORTS_PREFIX = f"{REPORTS_PREFIX}{PARTITION_KEY}=!{{timestamp:{PARTITION_FORMAT}}}/"
FIREHOSE_ERRORS_PREFIX = (
    f"{ERRORS_PREFIX}!{{firehose:error-output-type}}/{PARTITION_KEY}=!{{timestamp:{PARTITION_FORMAT}}}/"
)
OBJECT_EXTENSION = ".json.gz"


def reports_location(bucket: str) -> str:
    return f"s3://{bucket}/{REPORTS_PREFIX}"


def projection_location_template(bucket: str) -> str:
    return f"s3://{bucket}/{REPORTS_PREFIX}{PARTITION_KEY}=${{{PARTITION_KEY}}}/"
