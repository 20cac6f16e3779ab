"""The guards every bucket of the program gets, and the one the warehouse bucket adds.
components/bucket_guards.py builds them for each bucket. policy/storage_rules.py, spelling the same values
itself, refuses a stack whose buckets lack the public access block, the ownership control, default encryption
or the TLS-only policy, or whose Firehose bucket lets anyone but the stream's role write.

Property names are the engine's (camelCase): what the policy pack sees and what the program registers.
"""

# All four on: neither an ACL nor a bucket policy can make the bucket or an object public, now or later.
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

# The bucket owner owns every object, which disables ACLs: only policies grant access.
OBJECT_OWNERSHIP = "BucketOwnerEnforced"

# Default encryption the program sets: S3-managed keys, or the KMS key a stack configures.
SSE_ALGORITHM = "AES256"
SSE_ALGORITHM_WITH_KEY = "aws:kms"
# What counts as encrypted by default. The pack judges whatever a stack declares, and DSSE-KMS (two layers
# of KMS encryption) is no weaker than what the program picks, so it passes too.
ACCEPTED_SSE_ALGORITHMS = (SSE_ALGORITHM, SSE_ALGORITHM_WITH_KEY, "aws:kms:dsse")

# An overwritten or deleted report stays recoverable until the lifecycle expires old versions.
VERSIONING_STATUS = "Enabled"

# Multipart uploads a writer abandons are invisible but billed; every bucket's lifecycle clears them quickly.
ABORT_INCOMPLETE_UPLOADS_DAYS = 1

# The TLS-only bucket policy denies every S3 action on the bucket and on its objects (the ARN plus this).
TLS_ONLY_ACTION = "s3:*"
OBJECTS = "/*"


# The warehouse bucket refuses object writes from every principal but its one writer, the Firehose delivery role:
# a leaked key or an over-broad role elsewhere in the account cannot add or overwrite reports. aws:PrincipalArn is
# the role's ARN for every session of the role; a request without it (an AWS service) is refused too.
ONLY_WRITER_ACTION = "s3:PutObject"
ONLY_WRITER_KEY = "aws:PrincipalArn"
ONLY_WRITER_OPERATORS = ("ArnNotEquals", "StringNotEquals")


def deny_writes_except(writer_arn, objects_arn) -> dict:
    """`writer_arn` and `objects_arn` are strings, or Pulumi outputs in the program."""
    return {
        "Sid": "DenyWritesButTheWriter",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ONLY_WRITER_ACTION,
        "Resource": objects_arn,
        "Condition": {ONLY_WRITER_OPERATORS[0]: {ONLY_WRITER_KEY: writer_arn}},
    }


def sse_algorithm(kms_key_arn) -> str:
    return SSE_ALGORITHM_WITH_KEY if kms_key_arn else SSE_ALGORITHM
