"""Optional WAF in front of the collector's stage: a per-IP rate limit, a body size cap and AWS managed rules.

WAF sees client IPs to count them, but keeps none: sampled requests are off and no logging configuration
is created (both would store IPs and headers); only aggregate CloudWatch metrics are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.api_routes import RETRY_AFTER
from components.outputs import publish_outputs
from components.tunables import integer, one_of, required, tunable, validate_args

# The largest valid report is a few hundred bytes; anything near this size is not a report.
MAX_BODY_BYTES = 8 * 1024
RATE_LIMITED_STATUS = 429
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


@dataclass(frozen=True)
class CollectorWafArgs:
    stage_arn: pulumi.Input[str] = required("ARN of the stage the web ACL protects (a CollectorEndpoint's stageArn).")
    rate_limit_per_ip: int = tunable(
        300, integer(10, 2_000_000_000), "Requests one IP may send per window before WAF blocks it for a while."
    )
    rate_window_seconds: int = tunable(300, one_of(60, 120, 300, 600), "Window the per-IP rate is counted over.")

    def __post_init__(self) -> None:
        validate_args(self)


class CollectorWaf(pulumi.ComponentResource):
    """An AWS WAF web ACL on the collector's stage: a per-IP rate limit, a body size cap and AWS managed rules.
    It keeps no logs and no sampled requests."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:collector:CollectorWaf"

    web_acl_arn: pulumi.Output[str]
    """ARN of the WAFv2 web ACL attached to the stage."""

    def __init__(self, name: str, args: CollectorWafArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rules = [
            # 429, not WAF's default 403: a reporter behind a busy address backs off and retries a throttle,
            # and takes a 403 as a refusal of the report itself. An address stays blocked until its count over
            # the window falls under the limit, so the window is the wait its Retry-After asks for.
            _rule(
                "rate-limit-per-ip",
                0,
                {
                    "block": {
                        "custom_response": {
                            "response_code": RATE_LIMITED_STATUS,
                            "response_headers": [{"name": RETRY_AFTER, "value": str(args.rate_window_seconds)}],
                        }
                    }
                },
                {
                    "rate_based_statement": {
                        "aggregate_key_type": "IP",
                        "limit": args.rate_limit_per_ip,
                        "evaluation_window_sec": args.rate_window_seconds,
                    }
                },
            ),
            _rule(
                "body-too-large",
                1,
                {"block": {}},
                {
                    "size_constraint_statement": {
                        "comparison_operator": "GT",
                        "size": MAX_BODY_BYTES,
                        # Bodies beyond what WAF inspects count as too large rather than slipping through.
                        "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                        "text_transformations": [{"priority": 0, "type": "NONE"}],
                    }
                },
            ),
            *(
                _rule(group, 2 + index, None, {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}})
                for index, group in enumerate(MANAGED_RULE_GROUPS)
            ),
        ]
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            description="Rate limit, body size cap and AWS managed rules for the usage-report collector.",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(f"{name}-acl"),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(f"{name}-stage", resource_arn=args.stage_arn, web_acl_arn=acl.arn, opts=child)
        publish_outputs(self, web_acl_arn=acl.arn)


def _visibility(metric_name: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    # Sampled requests would keep client IPs and headers for three hours; the collector stores neither.
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": False}


def _rule(
    name: str,
    priority: int,
    action: Optional[aws.wafv2.WebAclRuleActionArgsDict],
    statement: aws.wafv2.WebAclRuleStatementArgsDict,
) -> aws.wafv2.WebAclRuleArgsDict:
    rule: aws.wafv2.WebAclRuleArgsDict = {
        "name": name,
        "priority": priority,
        "statement": statement,
        "visibility_config": _visibility(name),
    }
    if action is None:
        rule["override_action"] = {"none": {}}  # managed groups keep their own block actions
    else:
        rule["action"] = action
    return rule
