"""CollectorEndpoint: a REST API that validates reports and writes them straight to Firehose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws

from components import api_routes, iam_policies
from components.api_routes import (
    AnsweredRoute,
    ApiRoute,
    GatewayResponse,
    Pairs,
    RequestModel,
    RequestValidation,
)
from components.collector_domain import attach_custom_domain
from components.outputs import publish_outputs
from components.products_input import catalogue_of, products_field
from components.tunables import (
    arn,
    boolean,
    integer,
    log_retention,
    matching,
    number,
    one_of,
    require_together,
    required,
    tunable,
    validate_args,
)
from contract import products as catalogue
from contract import templates
from contract.guardrails import stages


@dataclass(frozen=True)
class CollectorEndpointArgs:
    delivery_stream_name: pulumi.Input[str] = required(
        "Name of the Firehose delivery stream the API writes reports to (a FirehoseToS3Warehouse's streamName)."
    )
    delivery_stream_arn: pulumi.Input[str] = required(
        "ARN of that stream: the API's role may put records to it and nowhere else."
    )
    stage_name: str = tunable(
        "v1",
        matching(r"[A-Za-z0-9_]{1,64}", "1 to 64 letters, digits or _"),
        "Stage name, the first path segment of the URL.",
    )
    throttle_rate_limit: float = tunable(20.0, number(0.1, 10000), "Steady requests per second for the stage.")
    throttle_burst_limit: int = tunable(40, integer(1, 5000), "Burst of requests allowed above the rate.")
    execution_log_level: str = tunable(
        stages.EXECUTION_LOG_LEVELS[0],
        one_of(*stages.EXECUTION_LOG_LEVELS, stages.LOGGING_OFF),
        "API Gateway execution logging (needs the account's CloudWatch role); INFO would keep request headers.",
    )
    # At most 900 s, the longest a Lambda function runs: a reporter cannot wait longer within one run.
    retry_after_seconds: int = tunable(
        30,
        integer(1, 900),
        "Seconds the collector's 429 (throttled) and 503 (delivery unavailable) answers ask a client to wait before "
        "it tries again (Retry-After). The reporter waits that long when its run has the time, else leaves the day "
        "to its retries and hourly replays: raise it to slow a fleet in a flood (docs/fleet-scale.md).",
    )
    access_log_retention_days: int = tunable(30, log_retention(), "Retention of access and execution logs.")
    manage_account_cloudwatch_role: bool = tunable(
        False, boolean(), "Own the region-wide API Gateway CloudWatch role (one stack per account and region)."
    )
    custom_domain_name: Optional[str] = tunable(
        None,
        matching(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", "a lower-case DNS name", optional=True),
        "Custom domain for the collector, e.g. telemetry.example.com.",
    )
    certificate_arn: Optional[str] = tunable(
        None, arn("acm", optional=True), "ACM certificate for the custom domain (same region)."
    )
    hosted_zone_id: Optional[str] = tunable(
        None,
        matching(r"Z[A-Z0-9]{1,32}", "a Route 53 zone id", optional=True),
        "Route 53 hosted zone that gets the alias record.",
    )

    products: Optional[Sequence[str]] = products_field(
        "The products served, each a built-in catalogue id or the path of a catalogue entry (.json, "
        "docs/products.md); each gets the route products/<id>/reports and its own model, products/<id>/schema "
        "answers its report schema and products/<id>/releases its releases. Unset: the default product's legacy "
        "routes only."
    )
    releases: Optional[Mapping[str, str]] = products_field(
        "Per served product id, the path of a releases file (.json, docs/releases.md) that products/<id>/releases "
        "answers, for a product whose catalogue entry declares none (a built-in one's). Unset: each product answers "
        "the releases its entry declares, or 404."
    )

    def __post_init__(self) -> None:
        validate_args(self)
        require_together(self, "custom_domain_name", "certificate_arn", "hosted_zone_id")
        self.served_products()  # refuses a bad entry at construction

    def served_products(self) -> Optional[tuple[catalogue.Product, ...]]:
        return catalogue_of(self, self.products, self.releases)


class MethodAddress(TypedDict):
    """Where API Gateway keeps a method's integration and responses."""

    rest_api: pulumi.Input[str]
    resource_id: pulumi.Input[str]
    http_method: pulumi.Input[str]


@dataclass(frozen=True)
class RouteTargets:
    """What every route is wired to: the API and its resources, the models (by name) and the shared validator, the
    role and the stream it writes with."""

    name: str
    api: aws.apigateway.RestApi
    resources: Mapping[str, aws.apigateway.Resource]  # by path
    models: Mapping[str, aws.apigateway.Model]
    validator: aws.apigateway.RequestValidator
    role: aws.iam.Role
    region: pulumi.Output[str]
    delivery_stream_name: pulumi.Output[str]
    opts: pulumi.ResourceOptions


class CollectorEndpoint(pulumi.ComponentResource):
    """The collector: a REST API that validates each report against the report schema and writes it straight to
    a Firehose delivery stream (no Lambda), with its stage, logs, throttling and optional custom domain."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:collector:CollectorEndpoint"

    rest_api_id: pulumi.Output[str]
    """Id of the REST API."""
    api_name: pulumi.Output[str]
    """Name of the REST API (API Gateway's metrics are keyed by it, not by id)."""
    stage_arn: pulumi.Output[str]
    """ARN of the stage (what a WAF web ACL attaches to)."""
    stage_name: pulumi.Output[str]
    """Name of the stage."""
    url: pulumi.Output[str]
    """The https URL reporters post to."""

    def __init__(self, name: str, args: CollectorEndpointArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Read once: the resources and the Deployment's trigger must come from the same description.
        served = args.served_products()
        routes, gateway_responses = api_routes.routes_for(served), api_routes.GATEWAY_RESPONSES
        answered_routes = api_routes.answered_routes_for(served)

        api = aws.apigateway.RestApi(
            f"{name}-api",
            description="Accepts anonymous aggregate usage reports.",
            endpoint_configuration={"types": "REGIONAL"},
            opts=child,
        )
        models = {
            spec.name: aws.apigateway.Model(
                resource_name,
                rest_api=api.id,
                name=spec.name,
                content_type=spec.content_type,
                schema=spec.schema,
                opts=child,
            )
            for resource_name, spec in _models(name, routes).items()
        }
        validation = _shared_validation(routes)
        validator = aws.apigateway.RequestValidator(
            f"{name}-body-validator",
            rest_api=api.id,
            name=validation.name,
            validate_request_body=validation.validate_request_body,
            validate_request_parameters=validation.validate_request_parameters,
            opts=child,
        )
        stream_name = pulumi.Output.from_input(args.delivery_stream_name)
        targets = RouteTargets(
            name=name,
            api=api,
            resources=self._resources(
                name, api, [*(r.path for r in routes), *(r.path for r in answered_routes)], child
            ),
            models=models,
            validator=validator,
            role=self._firehose_role(name, args, routes, child),
            region=aws.get_region_output().region,
            delivery_stream_name=stream_name,
            opts=child,
        )
        created = [resource for route in routes for resource in self._route(route, targets, args.retry_after_seconds)]
        created += [resource for route in answered_routes for resource in self._answered_route(route, targets)]
        created += self._gateway_responses(name, api, gateway_responses, args.retry_after_seconds, child)

        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={
                "configuration": stream_name.apply(
                    partial(
                        api_routes.fingerprint,
                        routes,
                        gateway_responses,
                        args.retry_after_seconds,
                        answered_routes=answered_routes,
                    )
                )
            },
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=created)),
        )
        stage = self._stage(name, api, deployment, args, child)

        url = pulumi.Output.concat(stage.invoke_url, "/", api_routes.url_path(routes))
        if args.custom_domain_name:
            attach_custom_domain(name, api, stage, args, child)
            url = pulumi.Output.concat("https://", args.custom_domain_name, "/", api_routes.url_path(routes))
        publish_outputs(
            self, rest_api_id=api.id, api_name=api.name, stage_arn=stage.arn, stage_name=stage.stage_name, url=url
        )

    @staticmethod
    def _firehose_role(
        name: str, args: CollectorEndpointArgs, routes: tuple[ApiRoute, ...], child: pulumi.ResourceOptions
    ) -> aws.iam.Role:
        actions = sorted({f"firehose:{route.integration.firehose_action}" for route in routes})
        role, _ = iam_policies.service_role(
            f"{name}-firehose-role",
            f"{name}-firehose-put",
            "apigateway.amazonaws.com",
            [iam_policies.allow(actions, [args.delivery_stream_arn], "PutReportRecord")],
            child,
        )
        return role

    @staticmethod
    def _resources(
        name: str, api: aws.apigateway.RestApi, route_paths: Sequence[str], child: pulumi.ResourceOptions
    ) -> dict[str, aws.apigateway.Resource]:
        # Every ancestor of a route's path is a resource too, routed or not.
        paths = {"/".join(path.split("/")[:depth]) for path in route_paths for depth in range(1, path.count("/") + 2)}
        # A resource is named by its path with `-` for `/` (the names stacks have): two paths that read the same that
        # way (product ids `a` and `a-schema`) would be two resources under one URN: the engine's error names neither.
        names = {path: f"{name}-{api_routes.path_name(path)}" for path in paths}
        by_name: dict[str, str] = {}
        for path in sorted(paths):
            other = by_name.setdefault(names[path], path)
            if other != path:
                raise ValueError(
                    f"the routes {other} and {path} would both be the resource {names[path]}: "
                    "serve products whose ids do not make one route's path out of another's"
                )
        created: dict[str, aws.apigateway.Resource] = {}
        for path in sorted(paths, key=lambda p: p.count("/")):
            parent_path, _, part = path.rpartition("/")
            parent_id = created[parent_path].id if parent_path else api.root_resource_id
            created[path] = aws.apigateway.Resource(
                names[path], rest_api=api.id, parent_id=parent_id, path_part=part, opts=child
            )
        return created

    @staticmethod
    def _method(
        route: ApiRoute | AnsweredRoute, targets: RouteTargets, **request: Any
    ) -> tuple[str, aws.apigateway.Method, MethodAddress]:
        """The route's method; the prefix that names every resource of the route (its path and verb); and the
        method's address, where its integration and responses are put."""
        prefix = f"{targets.name}-{api_routes.path_name(route.path)}-{route.http_method.lower()}"
        resource_id = targets.resources[route.path].id
        method = aws.apigateway.Method(
            prefix,
            rest_api=targets.api.id,
            resource_id=resource_id,
            http_method=route.http_method,
            authorization=route.authorization,
            **request,
            opts=targets.opts,
        )
        return (
            prefix,
            method,
            # The API and resource as the method got them (the same dependencies); the verb from the method, so
            # that what is put on it waits for it.
            MethodAddress(rest_api=targets.api.id, resource_id=resource_id, http_method=method.http_method),
        )

    @staticmethod
    def _answer(
        prefix: str,
        at: MethodAddress,
        integration: aws.apigateway.Integration,
        targets: RouteTargets,
        status_code: str,
        response_models: Pairs,
        response_templates: Mapping[str, str],
        selection_pattern: Optional[str] = None,
        method_parameters: Optional[Mapping[str, bool]] = None,
        integration_parameters: Optional[Mapping[str, str]] = None,
    ) -> list[pulumi.Resource]:
        """One status the method answers with (its method response) and what maps the integration's answer to it."""
        method_response = aws.apigateway.MethodResponse(
            f"{prefix}-{status_code}",
            **at,
            status_code=status_code,
            response_models=dict(response_models),
            response_parameters=method_parameters,
            opts=targets.opts,
        )
        mapping = aws.apigateway.IntegrationResponse(
            f"{prefix}-{status_code}-mapping",
            **at,
            status_code=method_response.status_code,
            selection_pattern=selection_pattern,
            response_templates=dict(response_templates),
            response_parameters=integration_parameters,
            opts=pulumi.ResourceOptions.merge(targets.opts, pulumi.ResourceOptions(depends_on=[integration])),
        )
        return [method_response, mapping]

    @classmethod
    def _route(cls, route: ApiRoute, targets: RouteTargets, retry_after_seconds: int) -> list[pulumi.Resource]:
        prefix, method, at = cls._method(
            route,
            targets,
            request_validator_id=targets.validator.id,
            request_models={route.model.content_type: targets.models[route.model.name].name},
        )
        spec = route.integration
        integration = aws.apigateway.Integration(
            f"{prefix}-firehose",
            **at,
            type=spec.type,
            integration_http_method=spec.http_method,
            uri=iam_policies.arn("apigateway", targets.region, "firehose", f"action/{spec.firehose_action}"),
            credentials=targets.role.arn,
            passthrough_behavior=spec.passthrough_behavior,
            request_parameters=dict(spec.request_parameters),
            request_templates={
                route.model.content_type: targets.delivery_stream_name.apply(partial(api_routes.request_template, spec))
            },
            opts=targets.opts,
        )
        created: list[pulumi.Resource] = [method, integration]
        for response in route.responses:
            created += cls._answer(
                prefix,
                at,
                integration,
                targets,
                response.status_code,
                route.method_response_models,
                {response.content_type: templates.read(response.template)},
                selection_pattern=response.selection_pattern,
                method_parameters=api_routes.method_response_parameters(response),
                integration_parameters=api_routes.integration_response_parameters(response, retry_after_seconds),
            )
        return created

    @classmethod
    def _answered_route(cls, route: AnsweredRoute, targets: RouteTargets) -> list[pulumi.Resource]:
        """A method API Gateway answers itself: no validator or model (a GET has no body), no role, no stream."""
        prefix, method, at = cls._method(route, targets)
        integration = aws.apigateway.Integration(
            f"{prefix}-mock",
            **at,
            type=route.integration.type,
            passthrough_behavior=route.integration.passthrough_behavior,
            request_templates={route.content_type: templates.read(route.integration.request_template)},
            opts=targets.opts,
        )
        answer = cls._answer(
            prefix,
            at,
            integration,
            targets,
            route.status_code,
            route.method_response_models,
            {route.content_type: route.body},
        )
        return [method, integration, *answer]

    @staticmethod
    def _gateway_responses(
        name: str,
        api: aws.apigateway.RestApi,
        gateway_responses: tuple[GatewayResponse, ...],
        retry_after_seconds: int,
        child: pulumi.ResourceOptions,
    ) -> list[aws.apigateway.Response]:
        return [
            aws.apigateway.Response(
                f"{name}-{response.response_type.lower().replace('_', '-')}",
                rest_api_id=api.id,
                response_type=response.response_type,
                status_code=response.status_code,
                response_templates={response.content_type: templates.read(response.template)},
                response_parameters=api_routes.gateway_response_parameters(response, retry_after_seconds),
                opts=child,
            )
            for response in gateway_responses
        ]

    @staticmethod
    def _stage(
        name: str,
        api: aws.apigateway.RestApi,
        deployment: aws.apigateway.Deployment,
        args: CollectorEndpointArgs,
        child: pulumi.ResourceOptions,
    ) -> aws.apigateway.Stage:
        retention = args.access_log_retention_days
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{name}-{pulumi.get_stack()}/access",
            retention_in_days=retention,
            opts=child,
        )
        # API Gateway would otherwise create this group itself, with logs kept forever.
        execution_logs = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=pulumi.Output.concat("API-Gateway-Execution-Logs_", api.id, "/", args.stage_name),
            retention_in_days=retention,
            opts=child,
        )
        depends_on: list[pulumi.Resource] = [execution_logs]
        if args.manage_account_cloudwatch_role:
            depends_on.append(_account_cloudwatch_role(name, child))
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=stages.XRAY_TRACING_ENABLED,
            access_log_settings={"destination_arn": access_logs.arn, "format": templates.access_log_format()},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=depends_on)),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path=stages.ALL_METHODS,
            settings={
                "metrics_enabled": True,
                "logging_level": args.execution_log_level,
                "data_trace_enabled": stages.DATA_TRACE_ENABLED,
                "throttling_rate_limit": args.throttle_rate_limit,
                "throttling_burst_limit": args.throttle_burst_limit,
            },
            opts=child,
        )
        return stage


def _models(name: str, routes: tuple[ApiRoute, ...]) -> dict[str, RequestModel]:
    """Resource name -> the model: the default product's under the name its URN has always had, another product's
    under its id."""
    models: dict[str, RequestModel] = {}
    for spec in dict.fromkeys(route.model for route in routes):
        resource_name = f"{name}-report-model" if spec.product is None else f"{name}-{spec.product}-report-model"
        if models.setdefault(resource_name, spec) != spec:
            raise ValueError(f"the routes use different models as {resource_name}; the endpoint builds one there")
    return models


def _shared_validation(routes: tuple[ApiRoute, ...]) -> RequestValidation:
    """The validation all routes use: the API has one, under the name its URN has always had."""
    distinct = {route.validation for route in routes}
    if len(distinct) != 1:
        raise ValueError(f"the routes use {len(distinct)} different validations; the endpoint builds exactly one")
    return distinct.pop()


def _account_cloudwatch_role(name: str, child: pulumi.ResourceOptions) -> aws.apigateway.Account:
    """The region-wide role API Gateway uses to write logs. A singleton: see docs/configuration.md."""
    log_groups = iam_policies.arn(
        "logs", aws.get_region_output().region, iam_policies.current_account_id(), "log-group:*"
    )
    role, policy = iam_policies.service_role(
        f"{name}-apigateway-cloudwatch-role",
        f"{name}-apigateway-cloudwatch-policy",
        "apigateway.amazonaws.com",
        [
            iam_policies.allow(
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                [log_groups],
                "WriteApiLogs",
            ),
            # DescribeLogGroups takes no resource ARN in IAM: scoped to log groups it would match nothing.
            iam_policies.allow(["logs:DescribeLogGroups"], ["*"], "ListLogGroups"),
        ],
        child,
    )
    return aws.apigateway.Account(
        f"{name}-apigateway-account",
        cloudwatch_role_arn=role.arn,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy])),
    )
