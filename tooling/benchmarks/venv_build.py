"""How long building every venv from its lock takes with uv (the Makefile's way) against `python -m venv` + pip.

    python3 tooling/benchmarks/venv_build.py [--cache cold|warm|both]

Both ways start from a copy of the checkout's files in a temp folder, without any venv, and install the same
hash-locked closures. The new way is `make` of the venv targets: it bootstraps uv (pip installs
requirements/tools.lock into .venv-tools), then `uv venv` + `uv pip sync`. The old way is what the Makefile did
before: `python -m venv`, then `pip install --require-hashes --no-deps -r <lock>` (and `pip install -e .` for
.venv). Which venvs, which Python and which lock come from `make --dry-run` of those targets. A cold run starts
from an empty cache (UV_CACHE_DIR, PIP_CACHE_DIR in a temp folder); a warm run repeats it with that cache
filled. The plugin's venv is left out: the Pulumi language host builds it with pip, both before and now.
Goal (issue 18): the new build takes under a third of the old one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("setup", "localstack-venv", "deploy-venv", "policy-venv", "usage-report-venv")
RATIO_GOAL = 1 / 3


def checkout_copy(destination: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def interpreter(name: str) -> str:
    """The interpreter's real path; a pyenv shim for a version installed but not selected needs PYENV_VERSION."""
    ask = [name, "-c", "import sys; print(sys.executable)"]
    done = subprocess.run(ask, capture_output=True, text=True)
    if done.returncode != 0 and shutil.which("pyenv"):
        version = re.sub(r"^python", "", Path(name).name)
        latest = subprocess.run(["pyenv", "latest", version], capture_output=True, text=True, check=True).stdout
        done = subprocess.run(ask, capture_output=True, text=True, env={**os.environ, "PYENV_VERSION": latest.strip()})
    done.check_returncode()
    return done.stdout.strip()


def planned(pythons: dict[str, str]) -> list[tuple[str, str, str]]:
    """(venv, python, lock) for each venv the targets build, read from `make --dry-run`."""
    settings = [f"{name}={path}" for name, path in pythons.items()]
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", *TARGETS, *settings],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dry_run = dry_run.replace("\\\n", " ")
    made_with = {venv: python for python, venv in re.findall(r"uv venv .*?--python (\S+) (\S+)", dry_run)}
    synced = re.findall(r"uv pip sync .*?--python (\S+)/bin/python (\S+)", dry_run)
    return [(venv, made_with[venv], lock) for venv, lock in synced]


def build_new(tree: Path, pythons: dict[str, str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        ["make", "--quiet", *TARGETS, *(f"{k}={v}" for k, v in pythons.items())],
        cwd=tree,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def build_old(tree: Path, plan: list[tuple[str, str, str]], env: dict[str, str]) -> float:
    began = time.perf_counter()
    for venv, python, lock in plan:
        subprocess.run([python, "-m", "venv", venv], cwd=tree, env=env, check=True)
        pip = [f"{venv}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", lock], cwd=tree, env=env, check=True)
        if venv == ".venv":
            subprocess.run([*pip, "--no-deps", "-e", "."], cwd=tree, env=env, check=True)
    return time.perf_counter() - began


Plan = list[tuple[str, str, str]]


def one_round(label: str, caches: Path, plan: Plan, pythons: dict[str, str]) -> tuple[float, float]:
    env = {**os.environ, "UV_CACHE_DIR": str(caches / "uv"), "PIP_CACHE_DIR": str(caches / "pip")}
    env.pop("PIP_NO_CACHE_DIR", None)
    seconds = []
    for build in ("old", "new"):
        with tempfile.TemporaryDirectory(prefix=f"venv-build-{build}-") as tree:
            checkout_copy(Path(tree))
            if build == "old":
                seconds.append(build_old(Path(tree), plan, env))
            else:
                seconds.append(build_new(Path(tree), pythons, env))
    old, new = seconds
    print(
        f"{label:5} cache: old (python -m venv + pip) {old:6.1f} s, new (uv) {new:6.1f} s, "
        f"new/old {new / old:.3f} (goal < {RATIO_GOAL:.3f})",
        flush=True,
    )
    return old, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", choices=("cold", "warm", "both"), default="both")
    args = parser.parse_args()
    variables = dict(re.findall(r"^(\w*PYTHON) \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M))
    pythons = {name: interpreter(value) for name, value in variables.items()}
    plan = planned(pythons)
    print(f"venvs: {', '.join(f'{venv} ({lock})' for venv, _, lock in plan)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="venv-build-caches-") as caches:
        if args.cache in ("cold", "both"):
            one_round("cold", Path(caches), plan, pythons)
        if args.cache in ("warm", "both"):
            if args.cache == "warm":
                one_round("fill", Path(caches), plan, pythons)
            one_round("warm", Path(caches), plan, pythons)


if __name__ == "__main__":
    main()
