"""The guards every bucket of the program gets. components/bucket_guards.py builds them for each bucket,
tests/test_program_security.py asserts them, and policy/storage_rules.py refuses a stack whose buckets lack the
public access block, the ownership control, default encryption or the TLS-only policy.

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


def sse_algorithm(kms_key_arn) -> str:
    return SSE_ALGORITHM_WITH_KEY if kms_key_arn else SSE_ALGORITHM
