"""Optional custom domain for the CollectorEndpoint: regional domain, base path mapping, alias record."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:  # the endpoint component imports this module
    from components.collector_endpoint import CollectorEndpointArgs


def attach_custom_domain(
    name: str,
    api: aws.apigateway.RestApi,
    stage: aws.apigateway.Stage,
    args: CollectorEndpointArgs,
    child: pulumi.ResourceOptions,
) -> aws.apigateway.DomainName:
    domain = aws.apigateway.DomainName(
        f"{name}-domain",
        domain_name=args.custom_domain_name,
        regional_certificate_arn=args.certificate_arn,
        endpoint_configuration={"types": "REGIONAL"},
        security_policy="TLS_1_2",
        opts=child,
    )
    aws.apigateway.BasePathMapping(
        f"{name}-domain-mapping",
        rest_api=api.id,
        stage_name=stage.stage_name,
        domain_name=domain.domain_name,
        opts=child,
    )
    aws.route53.Record(
        f"{name}-domain-alias",
        zone_id=args.hosted_zone_id,
        name=domain.domain_name,
        type="A",
        aliases=[
            {
                "name": domain.regional_domain_name,
                "zone_id": domain.regional_zone_id,
                "evaluate_target_health": False,
            }
        ],
        opts=child,
    )
    return domain
