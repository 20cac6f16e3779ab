"""IAM rules over every policy document a resource can carry: role, trust, bucket, queue, topic and key policies."""

from __future__ import annotations

import json
from collections.abc import Mapping

from policy.properties import as_list, get_path, known, policy_document, statements
from policy.rule_kit import resource_rule

# Resource types that carry policy documents, and where: a property, or (list property, item property).
POLICY_DOCUMENT_TYPES = (
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:kms/key:Key",
)
POLICY_DOCUMENT_PROPERTIES = ("assumeRolePolicy", "policy", ("inlinePolicies", "policy"))

# Resource types that attach managed policies, whose statements the pack cannot read, and the property naming them.
MANAGED_POLICY_ATTACHMENTS = {
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
}
# Managed policies a role of the program may carry. The program attaches none: every grant is an inline policy
# this pack reads. Add one here only with the reason it is needed.
ALLOWED_MANAGED_POLICIES: frozenset[str] = frozenset()
# AWS-managed policies that grant (nearly) everything, named so the refusal says so.
ADMIN_LIKE_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AdministratorAccess-Amplify")


def policy_documents(props) -> list[dict]:
    """Every policy document a resource of POLICY_DOCUMENT_TYPES declares, parsed."""
    found = []
    for where in POLICY_DOCUMENT_PROPERTIES:
        if isinstance(where, tuple):
            values = [get_path(item, where[1]) for item in as_list(props.get(where[0]))]
        else:
            values = [props.get(where)]
        found += [doc for doc in map(policy_document, values) if doc is not None]
    return found


def _no_wildcard_actions(props, _config):
    for document in policy_documents(props):
        if "unparseable" in document:
            yield "a policy document is not valid JSON"
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue  # a Deny with a wildcard only takes permissions away
            sid = statement.get("Sid") or "(no Sid)"
            if "NotAction" in statement:
                yield f"statement {sid} allows everything except a list (NotAction)"
            wild = [a for a in as_list(statement.get("Action")) if "*" in str(a)]
            if wild:
                yield f"statement {sid} allows wildcard actions {', '.join(map(str, wild))}"
    for arn in (a for key in set(MANAGED_POLICY_ATTACHMENTS.values()) for a in as_list(props.get(key))):
        if str(arn).rpartition("/")[2] in ADMIN_LIKE_POLICIES:
            yield f"attaches {arn}, an AWS-managed policy that allows (nearly) every action"
        elif arn not in ALLOWED_MANAGED_POLICIES:
            yield (
                f"attaches managed policy {arn}, whose statements this pack cannot check (allowed: "
                f"{', '.join(sorted(ALLOWED_MANAGED_POLICIES)) or 'none'}); grant with an inline policy"
            )


def _trusts_aws_services_only(props, _config):
    # IAM has no condition key on a trust policy's content (iam:CreateRole, iam:UpdateAssumeRolePolicy), so the
    # deploy role cannot be kept from writing one: this rule keeps the program from declaring one.
    for statement in statements(policy_document(known(props, "assumeRolePolicy")) or {}):
        if statement.get("Effect") == "Allow" and not _aws_services_only(statement):
            sid = statement.get("Sid") or "(no Sid)"
            admitted = json.dumps(statement.get("Principal", statement.get("NotPrincipal")), default=str)
            yield (
                f"trust statement {sid} admits {admitted}; allowed: AWS service principals only "
                '({"Service": "<service>.amazonaws.com"}), never an account, user, identity provider or *'
            )


def _aws_services_only(statement) -> bool:
    principal = statement.get("Principal")
    if "NotPrincipal" in statement or not isinstance(principal, Mapping) or set(principal) != {"Service"}:
        return False
    return all(str(service).endswith(".amazonaws.com") for service in as_list(principal["Service"]))


POLICIES = [
    resource_rule(
        "iam-no-wildcard-actions",
        "No Allow statement in any IAM, bucket, queue, topic or key policy "
        "uses a wildcard action or NotAction, and nothing attaches a managed policy, whose statements "
        "the pack cannot read (AdministratorAccess and other admin-like ones are named as such).",
        (*POLICY_DOCUMENT_TYPES, *MANAGED_POLICY_ATTACHMENTS),
        _no_wildcard_actions,
        control="IAM.21",
    ),
    resource_rule(
        "iam-role-trusts-aws-services-only",
        "Every role's trust policy admits AWS service principals only: no account, user, identity provider or `*`.",
        ["aws:iam/role:Role"],
        _trusts_aws_services_only,
    ),
]
