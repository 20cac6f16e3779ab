"""S3 rules. A bucket's guards are separate resources in pulumi-aws 7, so these are stack rules: for each
bucket, find the companion resources that point at it and judge them against guardrails/buckets.py, the
guards the program builds."""

from __future__ import annotations

from guardrails import buckets, transport
from policy.properties import (
    as_list,
    companions,
    get_path,
    identities,
    of_types,
    policy_document,
    statements,
)
from policy.rule_kit import stack_rule

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICIES = ("aws:s3/bucketPolicy:BucketPolicy",)
PUBLIC_ACCESS_BLOCKS = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
OWNERSHIP_CONTROLS = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
LIFECYCLES = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
              "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
FIREHOSE_STREAMS = ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",)
ENCRYPTION_CONFIGS = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                      "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")


def _per_bucket(judge):
    """A stack check that runs `judge(bucket, resources)` -> problem or None for every bucket."""
    def check(resources, _config):
        for bucket in of_types(resources, BUCKETS):
            problem = judge(bucket, resources)
            if problem:
                yield bucket.urn, f"bucket {bucket.name}: {problem}"
    return check


def _denies_everyone(statement, action: str) -> bool:
    """The statement denies `action` (or every S3 action) to every principal."""
    principal = statement.get("Principal")
    return (statement.get("Effect") == transport.DENY
            and (principal == transport.EVERYONE or get_path(principal or {}, "AWS") == transport.EVERYONE)
            and any(a in (action, "s3:*", "*") for a in as_list(statement.get("Action"))))


def _denies_insecure_transport(statement) -> bool:
    condition = get_path(statement, "Condition", transport.CONDITION_OPERATOR, transport.SECURE_TRANSPORT_KEY)
    targets = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
    return (_denies_everyone(statement, buckets.TLS_ONLY_ACTION)
            and str(condition).lower() == transport.INSECURE
            and any(f"{t}{buckets.OBJECTS}" in targets for t in targets))


def _tls_only(bucket, resources):
    documents = [policy_document(p.props.get("policy")) for p in companions(resources, BUCKET_POLICIES, bucket)]
    documents.append(policy_document(bucket.props.get("policy")))
    if not any(_denies_insecure_transport(s) for d in documents for s in statements(d)):
        return (f"no bucket policy denies {buckets.TLS_ONLY_ACTION} to everyone on the bucket and its objects when "
                f"{transport.SECURE_TRANSPORT_KEY} is {transport.INSECURE}")
    return None


def _public_access_blocked(bucket, resources):
    blocks = companions(resources, PUBLIC_ACCESS_BLOCKS, bucket)
    if not any(all(b.props.get(flag) is True for flag in buckets.PUBLIC_ACCESS_FLAGS) for b in blocks):
        return f"no public access block with all of {', '.join(buckets.PUBLIC_ACCESS_FLAGS)} true"
    return None


def _no_acls(bucket, resources):
    if companions(resources, BUCKET_ACLS, bucket) or bucket.props.get("acl") or bucket.props.get("grants"):
        return "grants access through an ACL"
    controls = companions(resources, OWNERSHIP_CONTROLS, bucket)
    if not any(get_path(c.props, "rule", "objectOwnership") == buckets.OBJECT_OWNERSHIP for c in controls):
        return f"ACLs are not disabled (no ownership controls with {buckets.OBJECT_OWNERSHIP})"
    return None


def _expires_something(rule) -> bool:
    return rule.get("status") == "Enabled" and bool(
        get_path(rule, "expiration", "days") or get_path(rule, "expiration", "date")
        or get_path(rule, "noncurrentVersionExpiration", "noncurrentDays"))


def _has_lifecycle(bucket, resources):
    rules = [r for c in companions(resources, LIFECYCLES, bucket) for r in as_list(c.props.get("rules"))]
    if not any(_expires_something(r) for r in rules):
        return "no enabled lifecycle rule expires objects or old versions"
    return None


def _encrypted_by_default(bucket, resources):
    configs = companions(resources, ENCRYPTION_CONFIGS, bucket)
    algorithms = [get_path(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
                  for c in configs for rule in as_list(c.props.get("rules"))]
    if not any(a in buckets.ACCEPTED_SSE_ALGORITHMS for a in algorithms):
        return f"no default encryption configuration with one of {', '.join(buckets.ACCEPTED_SSE_ALGORITHMS)}"
    return None


def _denies_writes_except(statement, writer: str) -> bool:
    conditions = statement.get("Condition") or {}
    exempted = [as_list(get_path(conditions, operator, buckets.ONLY_WRITER_KEY))
                for operator in buckets.ONLY_WRITER_OPERATORS]
    return (_denies_everyone(statement, buckets.ONLY_WRITER_ACTION)
            and any(str(r).endswith(buckets.OBJECTS) for r in as_list(statement.get("Resource")))
            and [writer] in exempted)


def _single_writer(resources, _config):
    for stream in of_types(resources, FIREHOSE_STREAMS):
        # What a first preview cannot know yet raises UnknownValueError: the engine reports the rule could not run.
        bucket_arn = get_path(stream.props, "extendedS3Configuration", "bucketArn")
        writer = get_path(stream.props, "extendedS3Configuration", "roleArn")
        if not (isinstance(bucket_arn, str) and isinstance(writer, str)):
            continue
        for bucket in of_types(resources, BUCKETS):
            if bucket_arn not in identities(bucket):
                continue
            documents = [policy_document(p.props.get("policy"))
                         for p in companions(resources, BUCKET_POLICIES, bucket)]
            if not any(_denies_writes_except(s, writer) for d in documents for s in statements(d)):
                yield bucket.urn, (f"bucket {bucket.name}: its policy does not deny {buckets.ONLY_WRITER_ACTION} to "
                                   f"every principal but {stream.name}'s delivery role ({buckets.ONLY_WRITER_KEY})")


POLICIES = [
    stack_rule("s3-tls-only-bucket-policy", "Every bucket's policy denies requests that do not use TLS.",
               _per_bucket(_tls_only), control="S3.5"),
    stack_rule("s3-block-public-access", "Every bucket has a public access block with all four settings on.",
               _per_bucket(_public_access_blocked), control="S3.8"),
    stack_rule("s3-no-acls", "No bucket grants access through ACLs; ownership controls disable them.",
               _per_bucket(_no_acls), control="S3.12"),
    stack_rule("s3-lifecycle", "Every bucket has a lifecycle configuration that expires data (bounded retention).",
               _per_bucket(_has_lifecycle), control="S3.13"),
    stack_rule("s3-default-encryption", "Every bucket has a default server-side encryption configuration.",
               _per_bucket(_encrypted_by_default)),
    stack_rule("s3-firehose-bucket-single-writer", "A bucket Firehose delivers to denies object writes to every "
               "principal but the stream's delivery role.", _single_writer),
]
