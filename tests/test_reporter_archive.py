"""The reporter's Lambda archive, exactly as the program builds it, runs the handler with only stdlib and boto3."""

import datetime as dt
import glob
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pulumi
import pytest
from moto.server import ThreadedMotoServer

from contract import schemas
from tests.support.shared_runs import shared_run
from tooling.demo import made_up_product
from tooling.fixtures.fake_collector import fake_collector
from tooling.fixtures.product_metrics import NAMESPACE, UTC, dimensions, publish
from tooling.mocked_program.pulumi_mocks import REPO, run_program

# What the Lambda Python runtime provides besides the standard library: boto3 and its dependencies.
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "urllib3", "six")
STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"

BOOT = """
import importlib.util, json, sys
code_dir, runtime_dir, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [code_dir, runtime_dir]  # as Lambda does: the task root, then the runtime's packages
import handlers.daily_report
result = handlers.daily_report.handler(event, None)
print(json.dumps({
    "result": result,
    "files": {m: sys.modules[m].__file__
              for m in ("handlers.daily_report", "contract.schemas", "fastjsonschema", "boto3")},
    "pulumi_importable": importlib.util.find_spec("pulumi") is not None,
    "site_packages_on_path": [p for p in sys.path if "site-packages" in p],
}))
"""


def lambda_like_python() -> str:
    """Lambda's Python (3.13) when this machine has one, else the interpreter running the tests."""
    candidates = [
        shutil.which("python3.13"),
        *sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.13*/bin/python3.13"))),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return sys.executable


@pytest.fixture(scope="module")
def archive() -> pulumi.AssetArchive:
    run = shared_run("dev")
    (function,) = run.of_type("aws:lambda/function:Function")
    return function.inputs["code"]


def materialize(archive: pulumi.AssetArchive, into: Path, leave_out: str = "") -> Path:
    for path, asset in archive.assets.items():
        assert isinstance(asset, (pulumi.FileAsset, pulumi.StringAsset)), path
        if leave_out and path.startswith(leave_out):
            continue
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(asset, pulumi.StringAsset):
            target.write_text(asset.text, encoding="utf-8")
        else:
            shutil.copyfile(asset.path, target)
    return into


def runtime_packages(into: Path) -> Path:
    into.mkdir()
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        source = Path(spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin)
        (into / source.name).symlink_to(source)
    return into


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def run_in_fresh_interpreter(
    code_dir: Path, runtime_dir: Path, moto_url: str, collector_url: str, home: Path, **variables: str
):
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HOME": str(home),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "COLLECTOR_URL": collector_url,
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": NAMESPACE,
        **variables,
    }
    event = json.dumps({"time": "2026-11-27T01:33:00Z", "detail-type": "Scheduled Event"})
    # -I: no user site, no PYTHON* variables, no script dir; -S: no site-packages at all.
    return subprocess.run(
        [lambda_like_python(), "-I", "-S", "-c", BOOT, str(code_dir), str(runtime_dir), event],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_archive_holds_the_handler_the_contract_and_the_vendored_package_only(archive):
    paths = set(archive.assets)
    assert {p.split("/")[0] for p in paths} == {
        "handlers",
        "contract",
        "fastjsonschema",
        f"fastjsonschema-{importlib.metadata.version('fastjsonschema')}.dist-info",
    }
    assert {p for p in paths if p.split("/")[0] in ("handlers", "contract")} == {
        "handlers/__init__.py",
        "handlers/daily_report.py",
        "handlers/release_check.py",
        "contract/__init__.py",
        "contract/reporter.py",
        "contract/releases.py",
        "contract/schemas/__init__.py",
        "contract/schemas/usage_report.schema.json",
        "contract/products/__init__.py",
        "contract/products/lunasec-tokenizer.json",
    }
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc")]
    assert Path(archive.assets["contract/schemas/usage_report.schema.json"].path) == schemas.SCHEMA_PATH


def test_vendored_package_is_the_pinned_version():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (REPO / "requirements.txt").read_text(), re.M))
    assert importlib.metadata.version("fastjsonschema") == pins["fastjsonschema"]


def test_handler_runs_from_the_unpacked_archive_with_only_stdlib_and_boto3(archive, moto_url, tmp_path):
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url)
    day = dt.datetime(2026, 11, 26, tzinfo=UTC)
    publish(cloudwatch, "tokenizeSuccess", 4, day + dt.timedelta(hours=1))
    publish(cloudwatch, "tokenizeSuccess", 3, day + dt.timedelta(hours=2), dimensions(version="1.2.2"))
    publish(cloudwatch, "createGrantFailure", 1, day + dt.timedelta(hours=23))
    code_dir = materialize(archive, tmp_path / "task")
    runtime_dir = runtime_packages(tmp_path / "runtime")

    with fake_collector() as collector:
        done = run_in_fresh_interpreter(code_dir, runtime_dir, moto_url, collector.url, tmp_path)
    assert done.returncode == 0, done.stderr

    *log_lines, last = done.stdout.strip().splitlines()
    outcome = json.loads(last)
    assert outcome["result"] == {"report_date": "2026-11-26", "sent": True}
    assert outcome["files"]["handlers.daily_report"].startswith(str(code_dir))
    assert outcome["files"]["fastjsonschema"].startswith(str(code_dir))
    assert outcome["files"]["boto3"].startswith(str(runtime_dir))
    assert outcome["pulumi_importable"] is False and outcome["site_packages_on_path"] == []
    expected = dict.fromkeys(schemas.counter_names(), 0) | {"tokenizeSuccess": 7, "createGrantFailure": 1}
    assert [r.json() for r in collector.received] == [
        {"version": "1.2.3", "stack_id": STACK_ID, "report_date": "2026-11-26", "metrics": expected}
    ]
    assert [json.loads(line)["outcome"] for line in log_lines] == ["sent"]


def test_without_its_vendored_package_the_handler_cannot_start(archive, moto_url, tmp_path):
    code_dir = materialize(archive, tmp_path / "task", leave_out="fastjsonschema/")
    runtime_dir = runtime_packages(tmp_path / "runtime")
    done = run_in_fresh_interpreter(code_dir, runtime_dir, moto_url, "https://collector.invalid/", tmp_path)
    assert done.returncode != 0
    assert "No module named 'fastjsonschema'" in done.stderr


def test_a_vendors_product_reports_from_the_entry_its_archive_ships(moto_url, tmp_path):
    """The function of a vendor's own product: its entry travels in the archive (as its text), and the handler,
    unpacked alone, reads its counters there."""
    program_file = tmp_path / "__main__.py"
    program_file.write_text(
        "from components.daily_aggregator import DailyAggregator, DailyAggregatorArgs\n"
        "DailyAggregator('usage-reporter', DailyAggregatorArgs(collector_url='https://c.example.com/r', "
        f"product={made_up_product.ENTRY.read_text(encoding='utf-8')!r}))\n"
    )
    run = run_program("dev", {"aws:region": "us-east-1"}, program=program_file)
    (function,) = run.of_type("aws:lambda/function:Function")
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url)
    day = dt.datetime(2026, 11, 26, tzinfo=UTC)
    publish(cloudwatch, "widgetsMade", 12, day + dt.timedelta(hours=3))
    publish(cloudwatch, "assemblyMinutes", 90, day + dt.timedelta(hours=4))
    code_dir = materialize(function.inputs["code"], tmp_path / "task")
    with fake_collector() as collector:
        done = run_in_fresh_interpreter(
            code_dir,
            runtime_packages(tmp_path / "runtime"),
            moto_url,
            collector.url,
            tmp_path,
            PRODUCT_ID=function.inputs["environment"]["variables"]["PRODUCT_ID"],
        )
    assert done.returncode == 0, done.stderr
    (report,) = [r.json() for r in collector.received]
    assert report["metrics"] == {"widgetsMade": 12, "widgetsRecalled": 0, "assemblyMinutes": 90}
