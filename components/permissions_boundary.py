"""Every IAM role the program creates carries the account's permissions boundary, when the stack names one.

The deploy roles may create a role only with that boundary on it (.github/aws-oidc/deploy-role-policy.json), so
whatever runs in a deploy cannot mint a role with more rights than the boundary allows. One stack-wide
transformation sets it, so no component has to know; a component that forgot would fail the deploy, not widen it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import pulumi

from components import iam_policies

ROLE_TYPE = "aws:iam/role:Role"


def boundary_arn(policy_name: str) -> pulumi.Output[str]:
    """The boundary in the deploying account and partition: the stack file names the policy, never an account."""
    return iam_policies.arn("iam", "", iam_policies.current_account_id(), f"policy/{policy_name}")


def with_permissions_boundary(
    policy_name: str,
) -> Callable[[pulumi.ResourceTransformationArgs], Optional[pulumi.ResourceTransformationResult]]:
    """A stack transformation that puts the boundary on every role.

    A (legacy) transformation rather than a transform: it runs in the SDK, so the tests under mocks see the
    boundary exactly as a deploy sends it; a transform runs in the engine, which the mocks do not have.
    """
    arn = boundary_arn(policy_name)

    def transformation(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        if args.type_ != ROLE_TYPE:
            return None
        return pulumi.ResourceTransformationResult({**args.props, "permissions_boundary": arn}, args.opts)

    return transformation
