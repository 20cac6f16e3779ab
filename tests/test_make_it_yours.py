"""docs/make-it-yours.md, followed for the made-up product (Acme widgets) beside the default one: its entry, the
collector's stack settings and commands, the reporter programs (Python in-process, TypeScript over the component
package), the dry run and the first report from the function's own archive, ingest on LocalStack, the saved queries
run locally and the HTML page. Each step reads what a reader copies from the page's own code blocks, so the page
cannot drift from what is tested."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

from component_package.provider.schema import package_schema
from components.api_routes import PRODUCT_ROUTE
from contract import products
from contract.queries import load_saved_queries
from contract.warehouse import delivered
from policy.catalog import POLICIES
from tests.support import docs, prerequisites
from tests.support.component_plugin import comparable, require_plugin_venv
from tests.support.made_up_product import config_with_products
from tests.support.policy_runner import from_run, violations
from tests.test_html_report import parse
from tests.test_reporter_archive import BOOT, lambda_like_python, materialize, runtime_packages
from tooling.demo import made_up_product
from tooling.fixtures import product_metrics
from tooling.local_cloud.aws_clients import REGION, SECRET, client
from tooling.local_cloud.reporter_run import run_reporter
from tooling.mocked_program import pulumi_mocks
from tooling.mocked_program.plugin_engine import STACK, running_plugin
from tooling.mocked_program.pulumi_mocks import PROJECT, REPO, run_program, stack_config
from usage_report import cli as usage_report
from usage_report.local_duckdb import run_sql
from usage_report.product_parts import load_products
from usage_report.stack_outputs import stack_products

DOC = REPO / "docs" / "make-it-yours.md"
ACME = made_up_product.PRODUCT
REPORTER = "analytics:reporter:DailyAggregator"


# --- The page, as a reader copies it -------------------------------------------------------------------------------


def step(number: int) -> str:
    """The text of step `number` (its heading starts with "<number>. ")."""
    titles = [
        title for _, _, title in docs.headings(DOC.read_text(encoding="utf-8")) if title.startswith(f"{number}. ")
    ]
    assert len(titles) == 1, f"docs/make-it-yours.md has {len(titles)} step {number}"
    return docs.section(titles[0])


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def block(number: int, language: str, index: int = 0) -> str:
    return blocks(step(number), language)[index]


def shell_lines(number: int, index: int = 0) -> list[str]:
    """A shell block's commands (a `\\` continues a line), without its comments."""
    text = block(number, "sh", index).replace("\\\n", "")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def command_after(line: str, program: str) -> list[str]:
    """The arguments given to `program` on a line (after its path, if any)."""
    words = shlex.split(line.split("&&")[-1])
    [at] = [i for i, word in enumerate(words) if word == program or word.endswith(f"/{program}")]
    return words[at + 1 :]


def stack_settings() -> dict:
    return yaml.safe_load(block(2, "yaml"))["config"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """The page's folders: the clone (only its working directory matters here: the stack's paths are read from it)
    and the vendor's repository, holding the entry and the reporter program the page shows."""
    src = tmp_path_factory.mktemp("src")
    clone, vendor = src / "analytics-collector", src / "acme-widgets"
    clone.mkdir()
    (vendor / "products").mkdir(parents=True)
    (vendor / "products" / "acme-widgets.json").write_text(block(1, "json"), encoding="utf-8")
    (vendor / "__main__.py").write_text(block(5, "python"), encoding="utf-8")
    (vendor / "index.ts").write_text(block(5, "typescript"), encoding="utf-8")
    return {"src": src, "clone": clone, "vendor": vendor}


def doc_stack_config() -> dict[str, str]:
    """The committed dev stack's config with the page's settings, as Pulumi hands config to a program (objects as
    JSON text)."""
    settings = {key: value if isinstance(value, str) else json.dumps(value) for key, value in stack_settings().items()}
    return {**stack_config("dev"), **settings}


# --- 1. Declare your product, 2. name it -------------------------------------------------------------------------


def test_the_entry_shown_is_the_made_up_product_and_the_stack_names_its_file():
    assert json.loads(block(1, "json")) == json.loads(made_up_product.ENTRY.read_text(encoding="utf-8"))
    (named_file,) = re.findall(r"`(~/src/acme-widgets/[^`]+)`", step(1))
    references = stack_settings()[f"{PROJECT}:products"]
    assert references[0] == products.DEFAULT_PRODUCT_ID
    # The page's folders: the clone at ~/src/analytics-collector, where the stack's relative path is read from.
    clone = PurePosixPath("~/src/analytics-collector")
    assert os.path.normpath(clone / references[1]) == named_file


# --- 3. Preview and deploy -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def previewed(folders):
    with contextlib.chdir(folders["clone"]):
        return run_program("dev", doc_stack_config())


def test_the_stack_shown_deploys_what_the_two_products_stack_on_localstack_does(previewed):
    # That stack also names a releases file for the built-in product, which the page leaves to docs/releases.md.
    config = {k: v for k, v in config_with_products("dev").items() if k != "analytics-collector:releases"}
    two_products = run_program("dev", config)
    registered = {(r.typ, r.name): comparable(r.inputs) for r in previewed.resources}
    assert len(registered) == len(previewed.resources)
    assert registered == {(r.typ, r.name): comparable(r.inputs) for r in two_products.resources}


def test_the_preview_adds_what_the_page_says(previewed):
    models = {m.inputs["name"] for m in previewed.of_type("aws:apigateway/model:Model")}
    assert "UsageReportAcmeWidgets" in models and "`UsageReportAcmeWidgets`" in step(3)
    paths = {r.inputs["pathPart"] for r in previewed.of_type("aws:apigateway/resource:Resource")}
    assert {"products", "acme-widgets", "reports", "schema"} <= paths
    queries = {q.inputs["name"] for q in previewed.of_type("aws:athena/namedQuery:NamedQuery")}
    assert {q for q in queries if q.startswith("acme-widgets-")} == {
        f"acme-widgets-{q}" for q in load_saved_queries(ACME)
    }
    assert "acme-widgets-daily_active_deployments" in queries and "`acme-widgets-daily_active_deployments`" in step(3)


def test_naming_the_products_replaces_nothing_the_stack_had(folders):
    run_program("dev")
    before = set(pulumi_mocks.MONITOR.resources)
    with contextlib.chdir(folders["clone"]):
        run_program("dev", doc_stack_config())
    assert before <= set(pulumi_mocks.MONITOR.resources)


def test_the_policy_pack_passes_the_stack_shown(previewed):
    resources = from_run(previewed)
    assert {policy.name: violations(policy, resources) for policy in POLICIES} == {p.name: [] for p in POLICIES}


def test_the_commands_shown_preview_with_the_policy_pack_then_deploy():
    preview, up = (line for line in shell_lines(3) if line.startswith("pulumi "))
    assert (preview, up) == ("pulumi preview --stack dev --policy-pack policy", "pulumi up --stack dev")


# --- 5. The reporter: Python in-process, TypeScript over the component package -------------------------------------


@pytest.fixture(scope="module")
def python_reporter(folders):
    """What the page's Python program registers: the reporter's function (its archive and environment)."""
    run = run_program("dev", {"aws:region": REGION}, program=folders["vendor"] / "__main__.py")
    (function,) = run.of_type("aws:lambda/function:Function")
    assert run.exports["usage_reporter"] == function.outputs["name"]
    return run, function


def test_the_python_reporter_ships_the_entry_and_posts_to_the_products_route(python_reporter):
    _, function = python_reporter
    variables = function.inputs["environment"]["variables"]
    assert variables["PRODUCT_ID"] == "acme-widgets"
    assert (variables["METRICS_NAMESPACE"], variables["PRODUCT_VERSION"]) == ("acme/widgets", "2.1.0")
    assert json.loads(variables["COUNTER_METRICS"]) == {"assemblyMinutes": {"metric_name": "LineMinutes"}}
    assert urlsplit(variables["COLLECTOR_URL"]).path == "/" + PRODUCT_ROUTE.format(product="acme-widgets")
    shipped = function.inputs["code"].assets["contract/products/acme-widgets.json"]
    entry = json.loads(block(1, "json"))
    entry.pop("releases")  # the reporter asks the collector for them: a new release changes no archive
    assert json.loads(shipped.text) == entry


def typescript_inputs(folders) -> dict:
    """The inputs the page's TypeScript program gives the component: run by Node with the generated SDK stood in by
    a class that prints them (the program uses no TypeScript-only syntax)."""
    if shutil.which("node") is None:
        prerequisites.missing("the TypeScript example runs under Node, which is not installed", "CI installs Node")
    program = re.sub(r"^import .*$", "", (folders["vendor"] / "index.ts").read_text(encoding="utf-8"), flags=re.M)
    harness = folders["vendor"] / "index.js"
    harness.write_text(
        'const fs = require("fs");\nconst path = require("path");\n'
        "const analytics = {reporter: {DailyAggregator: class {\n"
        "  constructor(name, args) { process.stdout.write(JSON.stringify({name, args})); }\n}}};\n"
        + program.replace("export const ", "const "),
        encoding="utf-8",
    )
    done = subprocess.run(["node", str(harness)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    constructed = json.loads(done.stdout)
    assert constructed["name"] == "usage-reporter"
    return constructed["args"]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    require_plugin_venv()
    pulumi_mocks.install(STACK)
    with running_plugin(tmp_path_factory.mktemp("consumer-program")) as running:
        yield running


@pytest.mark.plugin
def test_the_typescript_reporter_registers_what_the_python_one_does(folders, python_reporter, plugin):
    inputs = typescript_inputs(folders)
    assert set(inputs) <= set(package_schema()["resources"][REPORTER]["inputProperties"])
    plugin.monitor.registrations.clear()
    plugin.construct(REPORTER, "usage-reporter", inputs)
    over_grpc = {r.name: comparable(r.inputs) for r in plugin.monitor.registrations if r.type != REPORTER}
    run, _ = python_reporter
    in_process = {r.name: comparable(r.inputs) for r in run.resources if r.typ != REPORTER}
    assert over_grpc == in_process


# --- 8. The report reads the products the stack's file names -------------------------------------------------------


def test_the_report_on_athena_reads_the_products_the_stacks_file_names(folders, tmp_path):
    project = tmp_path / "analytics-collector"
    project.mkdir()
    shutil.copyfile(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "Pulumi.dev.yaml").write_text(block(2, "yaml"), encoding="utf-8")
    (tmp_path / "acme-widgets").symlink_to(folders["vendor"])
    (athena,) = [line for line in shell_lines(8, 0) if "python -m usage_report" in line]
    options = usage_report.build_parser().parse_args(command_after(athena, "python")[2:])
    references = stack_products(options.stack, project)
    assert [p.id for p in load_products(references, project)] == ["lunasec-tokenizer", "acme-widgets"]


# --- On LocalStack: 4. curl, 6. the dry run, 7. the first report, 8. the saved queries and the page ---------------


def run_shell(lines: list[str], cwd: Path, stub_bin: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
        cwd=cwd,
        env={**os.environ, "PATH": f"{stub_bin}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def stub_pulumi(folder: Path, outputs: dict[str, str]) -> Path:
    """A `pulumi` that answers `pulumi stack output NAME --stack dev` with the local deployment's value."""
    folder.mkdir(exist_ok=True)
    cases = "".join(f'  "stack output {name} --stack dev") echo "{value}" ;;\n' for name, value in outputs.items())
    script = folder / "pulumi"
    script.write_text(f'#!/bin/sh\ncase "$*" in\n{cases}  *) echo "unexpected: pulumi $*" >&2; exit 1 ;;\nesac\n')
    script.chmod(0o755)
    return folder


@pytest.mark.localstack
def test_the_curl_command_answers_the_counters_shown(two_products, tmp_path):
    commands = shell_lines(4)
    (shown,) = [line[2:] for line in block(4, "sh").splitlines() if line.startswith("# ")]
    stub = stub_pulumi(tmp_path / "bin", {"collector_url": two_products.url("record/deployment")})
    done = run_shell(commands, tmp_path, stub)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == shown


def function_environment(function, account: str, endpoint_url: str, **replaced: str) -> dict[str, str]:
    """What the deployed function runs with: its variables, and the product deployment's own AWS account."""
    return {
        **function.inputs["environment"]["variables"],
        **replaced,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_CLOUDWATCH": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@pytest.mark.localstack
def test_a_vendor_follows_the_page_to_its_first_report_in_the_html_page(
    two_products, two_products_cloud, python_reporter, folders, tmp_path
):
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    yesterday = today - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), tzinfo=dt.UTC)
    endpoint = two_products_cloud.endpoint_url
    _, function = python_reporter

    # The product deployment publishes its counters (LineMinutes: what counter_metrics maps to assemblyMinutes).
    acme_account = "000000000071"
    cloudwatch = client("cloudwatch", endpoint, account=acme_account)
    product_metrics.publish(cloudwatch, "widgetsMade", 12, noon, namespace="acme/widgets")
    product_metrics.publish(cloudwatch, "LineMinutes", 90, noon + dt.timedelta(hours=1), namespace="acme/widgets")
    code = materialize(function.inputs["code"], tmp_path / "function")

    # 6. The dry run, from the function's own code (the page's --date swapped for yesterday, which has data).
    dry_run = command_after(shell_lines(6)[-1], "python")
    assert dry_run[:4] == ["-m", "handlers.daily_report", "--dry-run", "--date"]
    done = subprocess.run(
        [sys.executable, *dry_run[:4], yesterday.isoformat()],
        cwd=code,
        env={"PATH": os.environ["PATH"], **function_environment(function, acme_account, endpoint)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["metrics"] == {"widgetsMade": 12, "widgetsRecalled": 0, "assemblyMinutes": 90}
    assert (body["version"], body["report_date"]) == ("2.1.0", yesterday.isoformat())

    # 7. The first report: the function invoked with the page's payload, as Lambda runs it (its archive alone, the
    # runtime's boto3), posting to the product's route on LocalStack.
    (invoke, _) = shell_lines(7)
    event = json.loads(re.search(r"--payload '([^']*)'", invoke).group(1))
    (shown,) = [json.loads(line[2:]) for line in block(7, "sh").splitlines() if line.startswith("# ")]
    route = two_products.url(PRODUCT_ROUTE.format(product=ACME.id))
    done = subprocess.run(
        [
            lambda_like_python(),
            "-I",
            "-S",
            "-c",
            BOOT,
            str(code),
            str(runtime_packages(tmp_path / "runtime")),
            json.dumps(event),
        ],
        env={"HOME": str(tmp_path), **function_environment(function, acme_account, endpoint, COLLECTOR_URL=route)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["result"] == {**shown, "report_date": yesterday.isoformat()}

    # The default product's deployment reports beside it, to its own route.
    default_account, default_stack = "000000000072", str(uuid.uuid4())
    default_cloudwatch = client("cloudwatch", endpoint, account=default_account)
    product_metrics.publish(default_cloudwatch, "tokenizeSuccess", 5, noon)
    log = run_reporter(
        collector_url=two_products.url(PRODUCT_ROUTE.format(product=products.DEFAULT_PRODUCT_ID)),
        endpoint_url=endpoint,
        account=default_account,
        stack_id=default_stack,
        version="1.4.2",
        namespace=product_metrics.NAMESPACE,
        scheduled=now,
    )
    assert (log["outcome"], log["status"]) == ("sent", 200)

    # Ingest: each stored line names its product.
    acme_stack = function.inputs["environment"]["variables"]["STACK_ID"]
    s3 = client("s3", endpoint)
    ours = {acme_stack, default_stack}
    objects = delivered.wait_for(
        s3, two_products.bucket_name, lambda objs: ours <= {r["stack_id"] for r in delivered.records(objs)}
    )
    mine = [obj for obj in objects if {r["stack_id"] for r in obj.records} & ours]
    assert sorted((r["stack_id"] == acme_stack, r["product"]) for obj in mine for r in obj.records) == [
        (False, "lunasec-tokenizer"),
        (True, "acme-widgets"),
    ]

    # 8. The saved queries, as Athena runs them, on the delivered objects (this test's two lines: the emulator's
    # bucket also holds other tests' reports).
    warehouse = folders["clone"] / "warehouse"
    delivered.download(s3, two_products.bucket_name, warehouse, keys={obj.key for obj in mine})
    served = (products.default(), ACME)
    for product, counters in ((ACME, body["metrics"]), (products.default(), {"tokenizeSuccess": 5})):
        sql = load_saved_queries(product)
        active = run_sql(sql["daily_active_deployments"], warehouse, today, served)
        assert [(row["report_day"], row["active_deployments"]) for row in active] == [(yesterday, 1)], product.id
        totals = run_sql(sql["daily_counter_totals"], warehouse, today, served)
        assert {row["counter"]: row["total"] for row in totals if row["total"]} == {
            name: total for name, total in counters.items() if total
        }, product.id

    # 8. The page, from the page's offline command (with --today pinned to the day this test began).
    (offline,) = [line for line in shell_lines(8, 1) if "python -m usage_report" in line]
    argv = command_after(offline, "python")[2:]
    with contextlib.chdir(folders["clone"]):
        assert usage_report.main([*argv, "--today", today.isoformat()]) == 0
        refused = usage_report.main(["--local", "warehouse", "--today", today.isoformat()])
        page = parse(Path(argv[argv.index("--html") + 1]).read_text(encoding="utf-8"))
    assert refused == 1, "without --product, objects of two products are refused"
    articles = page.all("article")
    assert [a.attrs["id"] for a in articles] == ["product-lunasec-tokenizer", "product-acme-widgets"]
    assert [a.all("h2")[0].full_text() for a in articles] == ["LunaSec tokenizer", "Acme widgets"]
    assert page.by_id("active").attrs["value"] == page.by_id("acme-widgets-active").attrs["value"] == "1"
    panels = [img.attrs["alt"] for img in page.by_id("acme-widgets-daily_counter_totals").all("img")]
    assert {alt.split(", ")[1].split(":")[0] for alt in panels} == {"widgetsMade", "assemblyMinutes", "widgetsRecalled"}
