"""S3 rules. A bucket's guards are separate resources in pulumi-aws 7, so these are stack rules: for each
bucket, find the companion resources that point at it and judge them.

What they require is spelled here, not read from contract/guardrails/buckets.py or contract/guardrails/transport.py,
which the program builds its buckets from: a guard that read the builder's constants would move along with them."""

from __future__ import annotations

from collections.abc import Mapping

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
LIFECYCLES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
FIREHOSE_STREAMS = ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",)
ATHENA_WORKGROUPS = ("aws:athena/workgroup:Workgroup",)
ENCRYPTION_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)

# AWS's four public-access settings: all on, neither an ACL nor a policy can make anything public.
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
# S3's default-encryption algorithms that encrypt at rest (DSSE-KMS is no weaker than the other two).
ACCEPTED_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
# A deny counts only with exactly this shape: an extra key or condition could make it never match.
DENY_KEYS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
TLS_CONDITION = ("Bool", "aws:SecureTransport", "false")
WRITER_OPERATORS = ("ArnNotEquals", "StringNotEquals")
WRITER_KEY = "aws:PrincipalArn"


def _per_bucket(judge):
    """A stack check that runs `judge(bucket, resources)` -> problem or None for every bucket."""

    def check(resources, _config):
        for bucket in of_types(resources, BUCKETS):
            problem = judge(bucket, resources)
            if problem:
                yield bucket.urn, f"bucket {bucket.name}: {problem}"

    return check


def _the_one(bucket, resources, types, plural: str):
    """The bucket's one companion of `types`: S3 keeps a single policy, lifecycle, ... per bucket, the last one
    applied, so with two of them no check can tell which one holds. (companion or None, problem or None)"""
    found = companions(resources, types, bucket)
    if len(found) > 1:
        return None, (
            f"{len(found)} {plural} ({', '.join(r.name for r in found)}); S3 keeps only the last one "
            "applied, so which one holds is unknown"
        )
    return (found[0] if found else None), None


def _the_policy(bucket, resources):
    """The bucket's policy document (a BucketPolicy, or a policy on the bucket itself), or a problem."""
    policy, problem = _the_one(bucket, resources, BUCKET_POLICIES, "bucket policies")
    inline = policy_document(bucket.props.get("policy"))
    if problem or (policy is not None and inline is not None):
        return None, problem or "has both a BucketPolicy and a policy on the bucket; S3 keeps only the last one"
    return (policy_document(policy.props.get("policy")) if policy is not None else inline), None


def _exact_deny(statement, actions: tuple[str, ...], operators: tuple[str, ...], key: str, accepts) -> bool:
    """A Deny to every principal of one of `actions`, whose only condition is `operator: {key: value}` with a
    value `accepts`: a second key or operator ANDs in a test that may never match, making the deny inert."""
    if set(statement) - DENY_KEYS or statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if not (principal == "*" or (isinstance(principal, Mapping) and dict(principal) == {"AWS": "*"})):
        return False
    if not any(a in actions for a in as_list(statement.get("Action"))):
        return False
    condition = statement.get("Condition")
    if not (isinstance(condition, Mapping) and len(condition) == 1):
        return False
    ((operator, tests),) = condition.items()
    if operator not in operators or not (isinstance(tests, Mapping) and list(tests) == [key]):
        return False
    values = as_list(tests[key])
    return len(values) == 1 and accepts(values[0])


def _denies_insecure_transport(statement) -> bool:
    operator, key, insecure = TLS_CONDITION
    targets = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
    return _exact_deny(statement, ("s3:*", "*"), (operator,), key, lambda v: str(v).lower() == insecure) and any(
        f"{t}/*" in targets for t in targets
    )


def _tls_only(bucket, resources):
    document, problem = _the_policy(bucket, resources)
    if problem:
        return problem
    if not any(_denies_insecure_transport(s) for s in statements(document)):
        return (
            "no bucket policy denies s3:* to everyone on the bucket and its objects when aws:SecureTransport "
            "is false (and only then: no other condition)"
        )
    return None


def _public_access_blocked(bucket, resources):
    block, problem = _the_one(bucket, resources, PUBLIC_ACCESS_BLOCKS, "public access blocks")
    if problem:
        return problem
    if block is None or not all(block.props.get(flag) is True for flag in PUBLIC_ACCESS_FLAGS):
        return f"no public access block with all of {', '.join(PUBLIC_ACCESS_FLAGS)} true"
    return None


def _no_acls(bucket, resources):
    if companions(resources, BUCKET_ACLS, bucket) or bucket.props.get("acl") or bucket.props.get("grants"):
        return "grants access through an ACL"
    controls, problem = _the_one(bucket, resources, OWNERSHIP_CONTROLS, "ownership controls")
    if problem:
        return problem
    if controls is None or get_path(controls.props, "rule", "objectOwnership") != "BucketOwnerEnforced":
        return "ACLs are not disabled (no ownership controls with BucketOwnerEnforced)"
    return None


def _static_prefix(prefix) -> str:
    """The part of a Firehose prefix before its first expression (!{timestamp:...}); unset means the root."""
    return str(prefix or "").split("!{")[0]


def _landing_prefixes(bucket, resources) -> set[str]:
    """Where data lands in the bucket, as far as the stack says: Firehose prefixes, Athena result locations.
    A bucket no known writer targets may get data anywhere: the whole bucket ('')."""
    names = identities(bucket)
    found = set()
    for stream in of_types(resources, FIREHOSE_STREAMS):
        if get_path(stream.props, "extendedS3Configuration", "bucketArn") in names:
            found |= {
                _static_prefix(get_path(stream.props, "extendedS3Configuration", key))
                for key in ("prefix", "errorOutputPrefix")
            }
    for workgroup in of_types(resources, ATHENA_WORKGROUPS):
        location = get_path(workgroup.props, "configuration", "resultConfiguration", "outputLocation")
        if isinstance(location, str) and location.startswith("s3://"):
            name, _, prefix = location[len("s3://") :].partition("/")
            if name in names:
                found.add(prefix)
    return found or {""}


def _rule_prefix(rule) -> str | None:
    """The prefix a lifecycle rule applies to; None when a tag or size filter narrows it further."""
    narrowed = next(iter(as_list(rule.get("filter"))), None) or {}
    conjunction = next(iter(as_list(narrowed.get("and"))), None) or {}
    if (
        narrowed.get("tag")
        or conjunction.get("tags")
        or any(narrowed.get(k) or conjunction.get(k) for k in ("objectSizeGreaterThan", "objectSizeLessThan"))
    ):
        return None
    return str(narrowed.get("prefix") or conjunction.get("prefix") or rule.get("prefix") or "")


def _covered(rules, prefix: str, expires) -> bool:
    return any(
        r.get("status") == "Enabled" and expires(r) and (p := _rule_prefix(r)) is not None and prefix.startswith(p)
        for r in rules
    )


def _expires_current(rule) -> bool:
    days = get_path(rule, "expiration", "days")
    return (isinstance(days, (int, float)) and days > 0) or bool(get_path(rule, "expiration", "date"))


def _expires_noncurrent(rule) -> bool:
    days = get_path(rule, "noncurrentVersionExpiration", "noncurrentDays")
    return isinstance(days, (int, float)) and days > 0


def _has_lifecycle(bucket, resources):
    lifecycle, problem = _the_one(bucket, resources, LIFECYCLES, "lifecycle configurations")
    if problem:
        return problem
    rules = as_list(lifecycle.props.get("rules")) if lifecycle is not None else []
    prefixes = sorted(_landing_prefixes(bucket, resources))
    versioned = any(
        get_path(v.props, "versioningConfiguration", "status") in ("Enabled", "Suspended")
        for v in companions(resources, VERSIONING, bucket)
    )
    kept = [p for p in prefixes if not _covered(rules, p, _expires_current)]
    if kept:
        where = ", ".join(repr(p) if p else "the whole bucket" for p in kept)
        return f"no enabled lifecycle rule expires objects written to {where} (data would be kept forever)"
    kept = [p for p in prefixes if versioned and not _covered(rules, p, _expires_noncurrent)]
    if kept:
        where = ", ".join(repr(p) if p else "the whole bucket" for p in kept)
        return f"versioned, but no enabled lifecycle rule expires old versions under {where}"
    return None


def _encrypted_by_default(bucket, resources):
    config, problem = _the_one(bucket, resources, ENCRYPTION_CONFIGS, "encryption configurations")
    if problem:
        return problem
    algorithms = [
        get_path(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        for rule in as_list(config.props.get("rules") if config is not None else None)
    ]
    if not any(a in ACCEPTED_SSE_ALGORITHMS for a in algorithms):
        return f"no default encryption configuration with one of {', '.join(ACCEPTED_SSE_ALGORITHMS)}"
    return None


def _denies_writes_except(statement, writer: str) -> bool:
    return _exact_deny(
        statement, ("s3:PutObject", "s3:*", "*"), WRITER_OPERATORS, WRITER_KEY, lambda v: v == writer
    ) and any(str(r).endswith("/*") for r in as_list(statement.get("Resource")))


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
            document, problem = _the_policy(bucket, resources)
            if problem:
                yield bucket.urn, f"bucket {bucket.name}: {problem}"
            elif not any(_denies_writes_except(s, writer) for s in statements(document)):
                yield (
                    bucket.urn,
                    (
                        f"bucket {bucket.name}: its policy does not deny s3:PutObject to every principal "
                        f"but {stream.name}'s delivery role ({WRITER_KEY}, and no other condition)"
                    ),
                )


POLICIES = [
    stack_rule(
        "s3-tls-only-bucket-policy",
        "Every bucket has one policy, and it denies requests that do not use TLS (under that condition alone).",
        _per_bucket(_tls_only),
        control="S3.5",
    ),
    stack_rule(
        "s3-block-public-access",
        "Every bucket has one public access block, with all four settings on.",
        _per_bucket(_public_access_blocked),
        control="S3.8",
    ),
    stack_rule(
        "s3-no-acls",
        "No bucket grants access through ACLs; its one ownership control disables them.",
        _per_bucket(_no_acls),
        control="S3.12",
    ),
    stack_rule(
        "s3-lifecycle",
        "Every bucket has one lifecycle configuration that expires data wherever it lands "
        "(each Firehose prefix and Athena result location, else the whole bucket), and old versions too.",
        _per_bucket(_has_lifecycle),
        control="S3.13",
    ),
    stack_rule(
        "s3-default-encryption",
        "Every bucket has one default server-side encryption configuration.",
        _per_bucket(_encrypted_by_default),
    ),
    stack_rule(
        "s3-firehose-bucket-single-writer",
        "A bucket Firehose delivers to denies object writes to every "
        "principal but the stream's delivery role (under that condition alone).",
        _single_writer,
    ),
]
