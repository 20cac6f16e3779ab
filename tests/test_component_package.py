"""The components as a Pulumi component package, tested as the Pulumi CLI would use them, without the CLI.

The plugin runs from its own venv (`make plugin-venv`, built from component_package/ only) in an empty consumer
folder; the test serves the engine and resource monitor it calls back (tests/support/component_plugin.py).
"""

import dataclasses
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grpc
import jsonschema
import pulumi
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import proto

import components
from component_package.provider.hosted import COMPONENTS, args_type
from component_package.provider.schema import PACKAGE, package_schema
from components.tunables import camel_case
from tests.support import docs
from tests.support.component_plugin import comparable, file_assets, require_plugin_venv, without_stack
from tests.support.shared_runs import shared_run
from tooling.demo import made_up_product
from tooling.mocked_program import pulumi_mocks as program_mocks
from tooling.mocked_program.plugin_engine import PLUGIN_DIR, PLUGIN_PYTHON, STACK, STACK_URN, running_plugin
from tooling.mocked_program.pulumi_mocks import PROJECT, REPO, STACKS, RecordingMocks

DATA = Path(__file__).parent / "data"
# Public API: every existing stack's URNs start with these (README, "Architecture").
TOKENS = {
    "CollectorEndpoint": "analytics:collector:CollectorEndpoint",
    "FirehoseToS3Warehouse": "analytics:warehouse:FirehoseToS3Warehouse",
    "AthenaCatalog": "analytics:catalog:AthenaCatalog",
    "DailyAggregator": "analytics:reporter:DailyAggregator",
    "CollectorMonitoring": "analytics:operations:CollectorMonitoring",
    "CollectorWaf": "analytics:collector:CollectorWaf",
}
COLLECTOR_URL = "https://collector.example.com/v1/record"
# One construction of each component, in Python's spelling; the plugin gets the same in the schema's.
CASES = {
    "CollectorEndpoint": {
        "delivery_stream_name": "reports",
        "delivery_stream_arn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/reports",
        "throttle_burst_limit": 80,
    },
    "FirehoseToS3Warehouse": {"buffering_size_mib": 8, "force_destroy": True},
    "AthenaCatalog": {"bucket_name": "reports-bucket", "results_retention_days": 3},
    "DailyAggregator": {"collector_url": COLLECTOR_URL, "memory_size_mb": 256, "dimension_names": ["stackID"]},
    "CollectorMonitoring": {
        "api_name": "collector-api",
        "stage_name": "v1",
        "delivery_stream_name": "reports",
        "workgroup_name": "collector-reports",
        "alarm_email": "ops@example.com",
    },
    "CollectorWaf": {"stage_arn": "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/v1"},
}
BY_NAME = {component.__name__: component for component in COMPONENTS}


def metaschema_validator() -> jsonschema.Draft202012Validator:
    # The metaschema's patterns name groups as (?<name>...); Python's re spells them (?P<name>...).
    text = re.sub(r"\(\?<([A-Za-z_])", r"(?P<\1", (DATA / "pulumi_package_metaschema.json").read_text())
    return jsonschema.Draft202012Validator(json.loads(text))


# --- The schema, built in-process -------------------------------------------------------------------------------


def test_schema_is_valid_against_pulumis_metaschema():
    validator = metaschema_validator()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(package_schema())]
    assert errors == []


def test_the_metaschema_check_catches_a_wrong_type():
    broken = package_schema()
    broken["resources"][TOKENS["DailyAggregator"]]["inputProperties"]["memorySizeMb"]["type"] = "int"
    assert not metaschema_validator().is_valid(broken)


def test_schema_keeps_the_type_tokens_of_existing_stacks():
    schema = package_schema()
    assert schema["name"] == PACKAGE == "analytics"
    assert schema["resources"].keys() == set(TOKENS.values())
    assert {component.__name__: component.TYPE_TOKEN for component in COMPONENTS} == TOKENS
    assert all(resource["isComponent"] for resource in schema["resources"].values())


def test_schema_version_is_the_one_release_version():
    assert package_schema()["version"] == components.__version__
    for pyproject in (REPO / "pyproject.toml", PLUGIN_DIR / "pyproject.toml"):
        project = tomllib.loads(pyproject.read_text())
        assert project["project"]["dynamic"] == ["version"], pyproject
        assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "components.__version__"}, pyproject


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_component_input_and_output_is_described(component):
    resource = package_schema()["resources"][component.TYPE_TOKEN]
    assert resource["description"].strip()
    for kind in ("inputProperties", "properties"):
        for key, prop in resource[kind].items():
            assert prop.get("description", "").strip(), f"{component.__name__} {kind} {key}"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_inputs_are_the_args_fields_typed_with_their_defaults(component):
    resource = package_schema()["resources"][component.TYPE_TOKEN]
    fields = {camel_case(f.name): f for f in dataclasses.fields(args_type(component))}
    assert resource["inputProperties"].keys() == fields.keys()
    assert set(resource["requiredInputs"]) == {k for k, f in fields.items() if f.default is dataclasses.MISSING}
    for key, field in fields.items():
        prop = resource["inputProperties"][key]
        if field.default is not dataclasses.MISSING and field.default is not None:
            assert prop["default"] == field.default, key
            # An int setting is an integer, a bool a boolean: never a number or Any for a plain value.
            expected = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(field.default)]
            assert prop["type"] == expected, key
        if "rule" in field.metadata:
            assert field.metadata["meaning"] in prop["description"]
            assert field.metadata["rule"].allowed in prop["description"]
            assert prop["plain"] is True, key


def test_outputs_are_the_declared_outputs_and_an_optional_one_is_not_required():
    monitoring = package_schema()["resources"][TOKENS["CollectorMonitoring"]]
    assert monitoring["properties"]["alarmNames"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Names of the collector's alarms.",
    }
    assert "alarmTopicArn" in monitoring["properties"] and "alarmTopicArn" not in monitoring["required"]
    reporter = package_schema()["resources"][TOKENS["DailyAggregator"]]
    assert reporter["required"] == [
        "functionName",
        "functionArn",
        "stackId",
        "scheduleExpression",
        "deadLetterQueueUrl",
        "retryQueueUrl",
    ]


def test_an_output_without_a_description_is_refused():
    from component_package.provider.schema import resource

    class Undescribed(pulumi.ComponentResource):
        """A component whose output says nothing."""

        TYPE_TOKEN = "analytics:test:Undescribed"
        value: pulumi.Output[str]

        def __init__(self, name: str, args: components.daily_aggregator.DailyAggregatorArgs, opts=None):
            super().__init__(self.TYPE_TOKEN, name, None, opts)

    with pytest.raises(ValueError, match="Undescribed.value has no description"):
        resource(Undescribed)


# --- URNs of the repository's own program -----------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_no_existing_resource_gets_a_new_urn(stack):
    before = json.loads((DATA / "program_urns_before_component_package.json").read_text())["urns"][stack]
    after = set(shared_run(stack).urns)
    assert [urn for urn in before if urn not in after] == []


# --- Installing the plugin ---------------------------------------------------------------------------------------


def test_plugin_pins_are_the_programs_pins():
    pins = {
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    plugin = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())
    assert set(plugin["project"]["dependencies"]) <= pins


def test_plugin_ships_the_package_data_the_program_installs():
    root = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    plugin = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert plugin["package-data"] == {p: root[p] for p in plugin["packages"] if p in root}


def test_plugin_folder_is_what_the_language_host_runs():
    assert (PLUGIN_DIR / "PulumiPlugin.yaml").read_text().splitlines()[-1] == "runtime: python"
    assert (PLUGIN_DIR / "__main__.py").is_file()
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())
    assert project["project"]["name"] and project["build-system"]["build-backend"]


def test_both_packages_declare_the_apache_licence_from_the_one_license_file():
    for folder in (REPO, PLUGIN_DIR):
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        assert (project["license"], project["license-files"]) == ("Apache-2.0", ["LICENSE"]), folder
        assert (folder / "LICENSE").resolve() == REPO / "LICENSE"
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("Copyright 2026 the analytics-collector authors\n")
    assert "Apache License\n                           Version 2.0, January 2004" in text


def test_the_installed_plugin_carries_the_licence():
    """What the language host builds: the wheel's metadata names the licence and ships its text."""
    require_plugin_venv()
    (dist_info,) = PLUGIN_PYTHON.parents[1].glob("lib/python*/site-packages/analytics_collector_components-*")
    metadata = (dist_info / "METADATA").read_text().splitlines()
    # The Makefile rebuilds the venv when a shipped package changes, not when LICENSE alone does.
    rebuild = f"{dist_info.name} predates the checkout's LICENSE: rm -r {PLUGIN_DIR.name}/venv && make plugin-venv"
    assert {"License-Expression: Apache-2.0", "License-File: LICENSE"} <= set(metadata), rebuild
    assert (dist_info / "licenses" / "LICENSE").read_bytes() == (REPO / "LICENSE").read_bytes(), rebuild


# --- The plugin process, over gRPC --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    require_plugin_venv()
    program_mocks.install(STACK)
    consumer = tmp_path_factory.mktemp("consumer-program")
    with running_plugin(consumer) as running:
        yield running


@pytest.mark.plugin
def test_plugin_starts_from_an_empty_folder_and_serves_the_schema(plugin):
    assert list(plugin.consumer.iterdir()) == []
    info = plugin.provider.GetPluginInfo(empty_pb2.Empty())
    assert info.version == components.__version__
    served = json.loads(plugin.provider.GetSchema(proto.GetSchemaRequest(version=0)).schema)
    # The installed copy is the checkout's: a stale venv fails here (`make plugin-venv` reinstalls it).
    assert served == package_schema()
    assert metaschema_validator().is_valid(served)


def in_process(component, name: str, kwargs: dict) -> dict:
    """URN -> inputs of everything the Python class registers under the program's mocks."""
    mocks = RecordingMocks()
    monitor = pulumi_mocks.MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    try:
        pulumi.runtime.test(lambda: component(name, args_type(component)(**kwargs)).urn)()
    finally:
        program_mocks.install(STACK)
    urns = {urn.rsplit("::", 1)[1]: urn for urn in monitor.resources}
    return {without_stack(urns[r.name]): comparable(r.inputs) for r in mocks.registered}


def camel_inputs(kwargs: dict) -> dict:
    return {camel_case(key): value for key, value in kwargs.items()}


@pytest.mark.plugin
@pytest.mark.parametrize("name", CASES)
def test_construct_registers_what_the_python_class_registers(plugin, name):
    component = BY_NAME[name]
    plugin.monitor.registrations.clear()
    response = plugin.construct(component.TYPE_TOKEN, f"pkg-{name.lower()}", camel_inputs(CASES[name]))
    registered = plugin.monitor.registrations
    assert response.urn == registered[0].urn and registered[0].type == component.TYPE_TOKEN
    over_grpc = {without_stack(r.urn): comparable(r.inputs) for r in registered}
    assert over_grpc == in_process(component, f"pkg-{name.lower()}", CASES[name])
    # Every child hangs under the component, and the component under the consumer's stack.
    assert registered[0].parent == STACK_URN
    assert {r.parent for r in registered[1:]} == {response.urn}
    outputs = package_schema()["resources"][component.TYPE_TOKEN]["required"]
    assert set(outputs) <= set(response.state.keys())


@pytest.mark.plugin
def test_construct_ships_the_reporter_source_from_the_installed_package(plugin):
    plugin.monitor.registrations.clear()
    plugin.construct(TOKENS["DailyAggregator"], "assets", {"collectorUrl": COLLECTOR_URL})
    function = next(r for r in plugin.monitor.registrations if r.type == "aws:lambda/function:Function")
    assets = dict(file_assets(function.inputs))
    assert "handlers/daily_report.py" in assets and "contract/schemas/usage_report.schema.json" in assets
    for archive_path, asset in assets.items():
        path = Path(asset.path)
        # Absolute and present from the consumer's folder: nothing is looked up relative to it.
        assert path.is_absolute() and path.is_file(), archive_path
        assert PLUGIN_DIR / "venv" in path.parents, f"{archive_path} is not from the installed package"
    assert (
        Path(assets["handlers/daily_report.py"].path).read_bytes()
        == (REPO / "handlers" / "daily_report.py").read_bytes()
    )


BAD_INPUTS = [
    pytest.param(
        {"collectorUrl": "http://collector.example.com/v1/record"},
        "DailyAggregator.collectorUrl = 'http://collector.example.com/v1/record' is not allowed: "
        "expected an https:// URL",
        id="http-url",
    ),
    pytest.param(
        {"collectorUrl": COLLECTOR_URL, "memorySize": 256},
        "DailyAggregator.memorySize is not an input of analytics:reporter:DailyAggregator: allowed "
        "inputs are advisoryAlarm, alarmTopicArn, asyncRetryAttempts",
        id="unknown-key",
    ),
    pytest.param({"memorySizeMb": 256}, "DailyAggregator.collectorUrl is required", id="missing-required"),
    pytest.param(
        {"collectorUrl": COLLECTOR_URL, "memorySizeMb": 4096},
        "DailyAggregator.memorySizeMb = 4096 is not allowed: expected an integer from 128 to 1024",
        id="out-of-range",
    ),
    pytest.param(
        {"collectorUrl": COLLECTOR_URL, "memorySizeMb": 128.5},
        "DailyAggregator.memorySizeMb = 128.5 is not allowed",
        id="not-an-integer",
    ),
]


@pytest.mark.plugin
@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS)
def test_bad_input_is_refused_naming_the_key_and_registers_nothing(plugin, inputs, message):
    details = _refused(plugin, inputs)
    assert message in details
    assert "\n" not in details and "Traceback" not in details and 'File "' not in details


def _refused(plugin, inputs: dict) -> str:
    """The details of a construction refused as INVALID_ARGUMENT before anything registered."""
    plugin.monitor.registrations.clear()
    with pytest.raises(grpc.RpcError) as refused:
        plugin.construct(TOKENS["DailyAggregator"], "refused", inputs)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert plugin.monitor.registrations == []
    return refused.value.details()


# A TypeScript or Go stack maps counters with the schema's names; Python's in-process class gets the same object.
COUNTER_METRICS = {
    "tokenizeSuccess": {"metricName": "Tokenize", "dimensions": {"Outcome": "success"}},
    "createGrantFailure": {"namespace": "acme/grants", "metricName": "GrantFailed"},
}


def reporter_function(plugin, name: str, inputs: dict):
    """The reporter's function a Construct over gRPC registers, once every registration is shown to be the Python
    class's in-process one for the same inputs."""
    plugin.monitor.registrations.clear()
    plugin.construct(TOKENS["DailyAggregator"], name, camel_inputs(inputs))
    registered = plugin.monitor.registrations
    assert {without_stack(r.urn): comparable(r.inputs) for r in registered} == in_process(
        BY_NAME["DailyAggregator"], name, inputs
    )
    return next(r for r in registered if r.type == "aws:lambda/function:Function")


@pytest.mark.plugin
def test_construct_with_a_counter_mapping_registers_what_the_python_class_registers(plugin):
    function = reporter_function(plugin, "mapped", {"collector_url": COLLECTOR_URL, "counter_metrics": COUNTER_METRICS})
    assert json.loads(function.inputs["environment"]["variables"]["COUNTER_METRICS"]) == {
        "createGrantFailure": {"namespace": "acme/grants", "metric_name": "GrantFailed"},
        "tokenizeSuccess": {"metric_name": "Tokenize", "dimensions": {"Outcome": "success"}},
    }


@pytest.mark.plugin
def test_construct_with_the_releases_check_and_its_alarms_registers_what_the_python_class_registers(plugin):
    inputs = {
        "collector_url": COLLECTOR_URL,
        "releases_url": "https://collector.example.com/v1/products/lunasec-tokenizer/releases",
        "advisory_alarm": True,
        "upgrade_alarm": True,
    }
    reporter_function(plugin, "told", inputs)
    registered = plugin.monitor.registrations
    alarms = {r.urn.rpartition("::")[2] for r in registered if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    assert {"told-advisories-affecting-version", "told-newer-version-available"} <= alarms


def test_the_releases_inputs_are_typed_for_every_language():
    resources = package_schema()["resources"]
    reporter = resources["analytics:reporter:DailyAggregator"]["inputProperties"]
    assert {key: reporter[key]["type"] for key in ("releasesUrl", "advisoryAlarm", "upgradeAlarm")} == {
        "releasesUrl": "string",
        "advisoryAlarm": "boolean",
        "upgradeAlarm": "boolean",
    }
    assert (reporter["advisoryAlarm"]["default"], reporter["upgradeAlarm"]["default"]) == (False, False)
    assert "default" not in reporter["releasesUrl"]
    endpoint = resources["analytics:collector:CollectorEndpoint"]["inputProperties"]
    assert endpoint["releases"]["type"] == "object"
    assert endpoint["releases"]["additionalProperties"] == {"type": "string"}


@pytest.mark.plugin
def test_a_misspelt_counter_is_refused_over_grpc_with_the_closest_names(plugin):
    details = _refused(plugin, {"collectorUrl": COLLECTOR_URL, "counterMetrics": {"tokenizeSucess": {}}})
    assert details.startswith(
        "DailyAggregator.counterMetrics = 'tokenizeSucess' is not allowed: expected a counter of lunasec-tokenizer: "
    )
    assert "(did you mean 'tokenizeSuccess'" in details and "\n" not in details


# A vendor's own product, as a TypeScript or Go program passes it: the text of its entry file, read by the program.
ACME_TEXT = made_up_product.ENTRY.read_text(encoding="utf-8")


@pytest.mark.plugin
def test_construct_with_a_vendors_entry_ships_it_as_the_python_class_does(plugin):
    inputs = {
        "collector_url": COLLECTOR_URL,
        "product": ACME_TEXT,
        "counter_metrics": {"widgetsMade": {"metricName": "Made"}},
    }
    function = reporter_function(plugin, "vendor", inputs)
    assert function.inputs["environment"]["variables"]["PRODUCT_ID"] == "acme-widgets"
    shipped = function.inputs["code"].assets["contract/products/acme-widgets.json"]
    entry = json.loads(ACME_TEXT)
    entry.pop("releases")  # the reporter asks the collector for them: a new release changes no archive
    assert json.loads(shipped.text) == entry


@pytest.mark.plugin
def test_a_path_for_a_product_is_refused_over_grpc_naming_the_key(plugin):
    details = _refused(plugin, {"collectorUrl": COLLECTOR_URL, "product": "products/acme-widgets.json"})
    assert details.startswith(
        "DailyAggregator.product = 'products/acme-widgets.json' is not allowed: expected one of the catalogue's "
        "products: lunasec-tokenizer, or an entry's JSON text: a path is not read here, pass the file's text"
    )


@pytest.mark.plugin
def test_a_mapping_over_lambdas_environment_limit_is_refused_over_grpc_with_its_size(plugin):
    counters = ["tokenizeSuccess", "tokenizeFailure", "detokenizeSuccess", "detokenizeFailure", "createGrantSuccess"]
    mapping = {name: {"dimensions": {"Operation": "x" * 900}} for name in counters}
    details = _refused(plugin, {"collectorUrl": COLLECTOR_URL, "counterMetrics": mapping})
    assert details.startswith("DailyAggregator.counterMetrics = <COUNTER_METRICS of 4,")
    assert "within Lambda's limit of 4,096 bytes (4 KB) for all its variables together" in details


# How the engine sends a value from `config.requireSecret` (Pulumi's wire format for secrets, spelled out here).
SECRET_HTTP_URL = "http://collector.internal.example.com/v1/record?token=hunter2"


def _secret(value) -> dict:
    return {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": value}


def test_a_secret_http_url_is_refused_at_construction_in_one_line_without_its_value(plugin):
    details = _refused(plugin, {"collectorUrl": _secret(SECRET_HTTP_URL)})
    assert details.startswith("DailyAggregator.collectorUrl = [secret] is not allowed: expected an https:// URL")
    assert "\n" not in details and "Traceback" not in details and "collector_url" not in details
    for fragment in ("http://", "collector.internal", "hunter2"):
        assert fragment not in details


def test_a_secret_https_url_is_constructed_and_stays_secret(plugin):
    plugin.monitor.registrations.clear()
    plugin.construct(TOKENS["DailyAggregator"], "secret-url", {"collectorUrl": _secret(COLLECTOR_URL)})
    function = next(r for r in plugin.monitor.registrations if r.type == "aws:lambda/function:Function")
    # The engine stores the function's whole environment encrypted, the URL with it.
    assert function.inputs["environment"] == _secret(function.inputs["environment"]["value"])
    assert function.inputs["environment"]["value"]["variables"]["COLLECTOR_URL"] == COLLECTOR_URL


# --- Releases ----------------------------------------------------------------------------------------------------


def _tag_check(tag: str, step_name: str = "Compare the tag", cwd: Path = REPO) -> subprocess.CompletedProcess:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    step = next(s for s in workflow["jobs"]["version"]["steps"] if s.get("name", "").startswith(step_name))
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_REF_NAME": tag},
        timeout=60,
        check=False,
    )


def test_release_tag_must_be_the_declared_version():
    assert _tag_check(f"v{components.__version__}").returncode == 0
    refused = _tag_check("v99.0.0")
    assert refused.returncode == 1
    assert f"v{components.__version__}" in refused.stdout


CHANGELOG_STEP = "Find the tag's entry in CHANGELOG.md"


def _released_versions(changelog: str) -> list[str]:
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)


def test_the_newest_release_in_the_changelog_is_the_declared_version():
    changelog = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.*)$", changelog, re.M)
    assert headings[0] == "[Unreleased]"
    # Every other level-2 heading is a release, newest first.
    assert len(_released_versions(changelog)) == len(headings) - 1
    assert _released_versions(changelog)[0] == components.__version__


def test_release_tag_without_a_changelog_entry_is_refused(tmp_path):
    assert _tag_check(f"v{components.__version__}", CHANGELOG_STEP).returncode == 0
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n## [0.7.0] - 2026-11-01\n")
    for tag in ("v0.8.0", "v0.7"):
        refused = _tag_check(tag, CHANGELOG_STEP, cwd=tmp_path)
        assert refused.returncode == 1, tag
        assert f"no '## [{tag[1:]}] - <date>' heading for tag {tag}" in refused.stdout
    assert _tag_check("v0.7.0", CHANGELOG_STEP, cwd=tmp_path).returncode == 0


# --- docs/component-package.md's examples ------------------------------------------------------------------------

USE_SECTION = "Use the components from your own stack"


def _example(language: str) -> str:
    block = re.search(rf"```{language}\n(.*?)```", docs.section(USE_SECTION), re.S)
    assert block, f"{USE_SECTION!r} no longer shows a {language} example"
    return block.group(1)


def _camel(name: str) -> str:
    """Go's and Python's spellings of a schema property, back in the schema's."""
    return camel_case(name) if "_" in name else name[0].lower() + name[1:]


def test_only_the_collector_url_is_required():
    assert package_schema()["resources"][TOKENS["DailyAggregator"]]["requiredInputs"] == ["collectorUrl"]


def test_package_add_line_names_the_plugin_folder_and_the_current_release():
    shown = re.search(r"^pulumi package add (\S+)$", docs.section(USE_SECTION), re.M)
    assert shown, f"{USE_SECTION!r} no longer shows the `pulumi package add` line"
    assert shown.group(1).endswith(f"/analytics-collector/{PLUGIN_DIR.name}@v{components.__version__}")


@pytest.mark.parametrize(
    ("language", "inputs", "outputs"),
    [
        ("typescript", r"^\s+(\w+): ", r"= reporter\.(\w+);"),
        ("go", r"^\s+(\w+):\s+pulumi\.", r"usageReporter\.(\w+)\)"),
        ("yaml", r"^      (\w+): ", r"\$\{usageReporter\.(\w+)\}"),
        ("python", r"(\w+)=", r"reporter\.(\w+)\)"),
    ],
)
def test_readme_examples_use_only_the_schemas_names(language, inputs, outputs):
    example = _example(language)
    resource = package_schema()["resources"][TOKENS["DailyAggregator"]]
    used_inputs = {_camel(name) for name in re.findall(inputs, example, re.M)}
    used_outputs = {_camel(name) for name in re.findall(outputs, example)}
    assert "collectorUrl" in used_inputs, example
    assert used_inputs <= resource["inputProperties"].keys(), example
    assert used_outputs and used_outputs <= resource["properties"].keys(), example
    assert "DailyAggregator" in example


@pytest.mark.plugin
def test_start_benchmark_prints_its_ratios():
    require_plugin_venv()
    done = subprocess.run(
        [sys.executable, "tooling/benchmarks/component_package_start.py", "--runs", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"plugin start, process start to port printed: \d+ ms = [\d.]+ x import \(goal <= 1.5\)", done.stdout
    ), done.stdout
    assert re.search(r"one Construct of DailyAggregator: \d+ ms = [\d.]+ x import", done.stdout), done.stdout
