"""Where the report finds the warehouse: a stack's outputs (via the Pulumi CLI) or names given as flags."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from contract.stack_settings import PRODUCTS
from usage_report.errors import ReportError, StackOutputsUnavailable, UnknownStackOutput

PROJECT_DIR = Path(__file__).resolve().parents[1]

# The stack exports (see __main__.py) that name what the report queries, by the flag that overrides each.
OUTPUT_FOR_FLAG = {
    "database": "athena_database_name",
    "workgroup": "athena_workgroup_name",
}


@dataclass(frozen=True)
class WarehouseNames:
    database: str
    workgroup: str
    region: str | None


def read_stack_outputs(stack: str, pulumi: str = "pulumi", project_dir: Path = PROJECT_DIR) -> dict:
    command = [pulumi, "stack", "output", "--json", "--stack", stack]
    try:
        completed = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise StackOutputsUnavailable(
            f"cannot read stack {stack}'s outputs: the Pulumi CLI ({pulumi}) is not installed or not on PATH; "
            "pass --database and --workgroup instead"
        ) from None
    if completed.returncode != 0:
        raise StackOutputsUnavailable(
            f"`{' '.join(command)}` failed (exit {completed.returncode}): {completed.stderr.strip()}"
        )
    try:
        outputs = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise StackOutputsUnavailable(f"`{' '.join(command)}` did not print JSON: {error}") from None
    if not isinstance(outputs, dict):
        raise StackOutputsUnavailable(f"`{' '.join(command)}` printed {type(outputs).__name__}, not an object")
    return outputs


def _stack_file_config(stack: str, project_dir: Path) -> dict:
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        return {}
    return (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})


def stack_region(stack: str, project_dir: Path = PROJECT_DIR) -> str | None:
    # The region is stack config rather than an output; read it from the stack's own file when there is one.
    return _stack_file_config(stack, project_dir).get("aws:region")


def stack_products(stack: str, project_dir: Path = PROJECT_DIR) -> list[str] | None:
    """The products the stack's own file names (`<project>:products`, contract/products), None when it names none:
    built-in ids and paths of catalogue entries, relative to the project folder as the program reads them."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    key = f"{project}:{PRODUCTS}"
    references = _stack_file_config(stack, project_dir).get(key)
    if references is None:
        return None
    if not isinstance(references, list) or not references or not all(isinstance(r, str) and r for r in references):
        raise ReportError(
            f"Pulumi.{stack}.yaml: {key} = {references!r} is not allowed: expected a non-empty list of built-in "
            "product ids and paths of catalogue entries (.json)"
        )
    return references


def resolve_names(
    *,
    stack: str | None,
    database: str | None,
    workgroup: str | None,
    region: str | None,
    pulumi: str = "pulumi",
    project_dir: Path = PROJECT_DIR,
) -> WarehouseNames:
    given = {flag: value for flag, value in {"database": database, "workgroup": workgroup}.items() if value}
    missing = [flag for flag in ("database", "workgroup") if flag not in given]
    if missing:
        if not stack:
            raise UnknownStackOutput(
                "say which warehouse to query: --stack NAME (reads its outputs), or --database and --workgroup"
            )
        outputs = read_stack_outputs(stack, pulumi, project_dir)
        for flag in missing:
            output_name = OUTPUT_FOR_FLAG[flag]
            if output_name not in outputs:
                raise UnknownStackOutput(
                    f"stack {stack} has no output {output_name!r} (it has: {', '.join(sorted(outputs)) or 'none'}); "
                    f"run `pulumi up` on it with this version of the program, or pass --{flag}"
                )
            given[flag] = outputs[output_name]
    if region is None and stack:
        region = stack_region(stack, project_dir)
    return WarehouseNames(database=given["database"], workgroup=given["workgroup"], region=region)
