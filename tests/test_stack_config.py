"""Stack config: every committed stack loads; a bad value fails program start naming key, value and what is allowed."""

import dataclasses
import json

import pytest

from components.collector_endpoint import CollectorEndpoint
from components.collector_waf import CollectorWaf
from stack_config import PROJECT, SECTIONS, StackConfigError, config_key, config_keys, load_stack_config, section_keys
from tests.support.made_up_product import acme_entry
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import STACKS, run_program, stack_config, stack_config_with

P = PROJECT


def config_with(section: str, **values) -> dict:
    return stack_config_with("staging", **{section: values})


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_load(stack):
    import pulumi

    committed = stack_config(stack)
    pulumi.runtime.set_all_config(committed)
    config = load_stack_config()
    for section, args_type in SECTIONS.items():
        written = json.loads(committed.get(f"{P}:{section}", "{}"))
        fields = section_keys(args_type)
        assert config.args_for(section) == {
            fields[key].name: value for key, value in written.items() if key in fields
        }, section
        program = {key: value for key, value in written.items() if key not in fields}
        keys = config_keys(section)
        assert config.program.get(section, {}) == {keys[key].name: value for key, value in program.items()}
    opted_out = json.loads(committed.get(f"{P}:metricsConfig", "{}")).get("disable_usage_statistic", False)
    assert config.usage_reporting_disabled is opted_out


BAD_VALUES = [
    ("endpoint", "throttleRateLimit", -5, "a number from 0.1 to 10000"),
    ("endpoint", "throttleRateLimit", "fast", "a number from 0.1 to 10000"),
    ("endpoint", "throttleBurstLimit", 2.5, "an integer from 1 to 5000"),
    ("endpoint", "executionLogLevel", "DEBUG", "one of 'ERROR', 'OFF'"),
    ("endpoint", "executionLogLevel", "INFO", "one of 'ERROR', 'OFF'"),
    ("endpoint", "accessLogRetentionDays", 10, "a CloudWatch Logs retention in days"),
    ("endpoint", "manageAccountCloudwatchRole", "yes", "true or false"),
    ("endpoint", "certificateArn", "arn:aws:iam::123456789012:role/x", "an ARN of acm"),
    ("warehouse", "bufferingSizeMib", 0, "an integer from 1 to 128"),
    ("warehouse", "bufferingIntervalSeconds", 901, "an integer from 0 to 900"),
    ("warehouse", "reportRetentionDays", True, "an integer from 1 to 3650"),
    ("warehouse", "forceDestroy", 1, "true or false"),
    ("warehouse", "kmsKeyArn", "alias/mine", "an ARN of kms"),
]


@pytest.mark.parametrize("section,key,value,allowed", BAD_VALUES, ids=[f"{s}.{k}={v!r}" for s, k, v, _ in BAD_VALUES])
def test_bad_value_fails_program_start_naming_key_value_and_allowed(section, key, value, allowed):
    with pytest.raises(StackConfigError) as error:
        run_program("staging", config_with(section, **{key: value}))
    message = str(error.value)
    assert f"{P}:{section}.{key}" in message
    assert repr(value) in message
    assert allowed in message


def test_unknown_key_in_a_section_lists_the_allowed_keys():
    with pytest.raises(StackConfigError, match=r"endpoint\.throttleRate is not a known setting.*throttleRateLimit"):
        run_program("staging", config_with("endpoint", throttleRate=5))


def test_a_removed_setting_says_why_it_went():
    with pytest.raises(StackConfigError) as error:
        run_program("staging", config_with("endpoint", xrayTracing=False))
    message = str(error.value)
    assert f"{P}:endpoint.xrayTracing is no longer a setting" in message
    assert "caller's IP" in message and "apigateway-no-xray-tracing" in message


def test_snake_case_key_gets_a_did_you_mean():
    with pytest.raises(StackConfigError, match=r"did you mean throttleRateLimit\?"):
        run_program("staging", config_with("endpoint", throttle_rate_limit=5))


def test_unknown_top_level_key_is_rejected():
    config = stack_config("staging")
    config[f"{P}:endpiont"] = "{}"
    with pytest.raises(StackConfigError, match=r"analytics-collector:endpiont is not a known setting"):
        run_program("staging", config)


def test_section_that_is_not_an_object_is_rejected():
    config = stack_config("staging")
    config[f"{P}:warehouse"] = "5"
    with pytest.raises(StackConfigError, match=r"analytics-collector:warehouse = 5 is not allowed: expected an object"):
        run_program("staging", config)


def test_custom_domain_settings_go_together():
    with pytest.raises(StackConfigError, match=r"endpoint\.certificateArn is missing"):
        run_program("staging", config_with("endpoint", customDomainName="telemetry.example.com"))


def test_opt_out_knob_must_be_a_boolean():
    config = stack_config("staging")
    config[f"{P}:metricsConfig"] = json.dumps({"disable_usage_statistic": "true"})
    with pytest.raises(StackConfigError, match=r"metricsConfig\.disable_usage_statistic = 'true'.*true or false"):
        run_program("staging", config)


def test_http_collector_url_is_rejected_where_urls_are_configurable():
    from components.tunables import https_url

    assert not https_url().accepts("http://collector.example.com/record")
    assert https_url().accepts("https://collector.example.com/v1/record/deployment")


def test_config_keys_are_camel_case_field_names():
    assert config_key("throttle_rate_limit") == "throttleRateLimit"
    for args_type in SECTIONS.values():
        for key in section_keys(args_type):
            assert "_" not in key


def test_custom_domain_registers_domain_mapping_and_alias():
    run = run_program(
        "staging",
        config_with(
            "endpoint",
            customDomainName="telemetry.example.com",
            certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/abc",
            hostedZoneId="Z123ABC",
        ),
    )
    domain = run.one("aws:apigateway/domainName:DomainName").inputs
    assert domain["securityPolicy"] == "TLS_1_2"
    assert run.one("aws:route53/record:Record").inputs["zoneId"] == "Z123ABC"
    assert run.exports["collector_url"] == "https://telemetry.example.com/record/deployment"


def test_managing_the_account_role_registers_it():
    run = run_program("staging", config_with("endpoint", manageAccountCloudwatchRole=True))
    account = run.one("aws:apigateway/account:Account")
    assert account.parent_type == CollectorEndpoint.TYPE_TOKEN


def test_program_settings_are_not_component_args():
    from stack_config.program_settings import PROGRAM_SETTINGS

    # A component never reads a switch of the program's: WAF on/off and where this stack's reporter posts.
    for section, settings in PROGRAM_SETTINGS.items():
        component_settings = set(section_keys(SECTIONS[section]))
        assert not component_settings & set(section_keys(settings)), section
    assert "enabled" not in {f.name for f in dataclasses.fields(SECTIONS["waf"])}


@pytest.mark.parametrize("section", SECTIONS)
def test_a_none_default_means_the_setting_is_optional(section):
    # A field that defaults to None but refuses None is required in disguise: it must have no default. The
    # program's own settings of the section (reporter.collectorUrl, iam.permissionsBoundaryPolicy) too.
    for field in config_keys(section).values():
        if field.default is None:
            assert field.metadata["rule"].accepts(None), f"{section}.{field.name} defaults to None yet requires a value"


def test_waf_switch_decides_whether_the_component_exists():
    assert not [r for r in shared_run("staging").resources if r.typ == CollectorWaf.TYPE_TOKEN]
    run = run_program("staging", config_with("waf", enabled=True))
    assert len([r for r in run.resources if r.typ == CollectorWaf.TYPE_TOKEN]) == 1


def products_config(value) -> dict:
    config = stack_config("staging")
    config[f"{P}:products"] = json.dumps(value)
    return config


def test_products_unset_means_the_default_product_only():
    import pulumi

    pulumi.runtime.set_all_config(stack_config("staging"))
    assert [p.id for p in load_stack_config().products] == ["lunasec-tokenizer"]


def test_products_name_built_in_ids_and_vendor_entries(tmp_path, monkeypatch):
    import pulumi

    (tmp_path / "catalogue").mkdir()
    entry = acme_entry()
    (tmp_path / "catalogue" / "acme.json").write_text(json.dumps(entry), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # Pulumi runs the program in the project folder
    pulumi.runtime.set_all_config(products_config(["lunasec-tokenizer", "catalogue/acme.json"]))
    assert [p.id for p in load_stack_config().products] == ["lunasec-tokenizer", "acme-widgets"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "lunasec-tokenizer",
            r"analytics-collector:products = 'lunasec-tokenizer' is not allowed: expected a non-empty list",
        ),
        ([], r"analytics-collector:products = \[\] is not allowed"),
        ([3], r"analytics-collector:products\[0\] = 3 is not allowed"),
        (
            ["lunasec-tokeniser"],
            r"products: 'lunasec-tokeniser' is not a built-in product \(did you mean lunasec-tokenizer\?\)",
        ),
        (["nowhere/acme.json"], r"analytics-collector:products: nowhere/acme\.json: cannot read the catalogue entry"),
        (["lunasec-tokenizer", "lunasec-tokenizer"], r"the id 'lunasec-tokenizer' is already lunasec-tokenizer's"),
    ],
)
def test_a_bad_products_setting_fails_program_start(value, message):
    with pytest.raises(StackConfigError, match=message):
        run_program("staging", products_config(value))
