"""What the reporter Lambda runs: its handler, the contract module it imports, and the packages it vendors.

The Lambda runtime offers the standard library and boto3; everything else the handler imports ships
here, at the same paths as in this repository, so the handler string is the module path used in tests.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Optional, Union

import pulumi

from contract import products

HANDLER = "handlers.daily_report.handler"
# The handler module, its package, and the contract modules it imports with the schema envelope and the default
# product's catalogue entry they read: (package, file in it); the archive keeps the repository's paths.
PACKAGE_FILES = (
    ("handlers", "__init__.py"),
    ("handlers", "daily_report.py"),
    ("handlers", "release_check.py"),
    ("contract", "__init__.py"),
    ("contract", "reporter.py"),
    ("contract", "releases.py"),
    ("contract.schemas", "__init__.py"),
    ("contract.schemas", "usage_report.schema.json"),
    ("contract.products", "__init__.py"),
    ("contract.products", f"{products.DEFAULT_PRODUCT_ID}{products.ENTRY_SUFFIX}"),
)
# Pure-Python distributions the handler imports that the runtime lacks (pinned in requirements.txt).
VENDORED = ("fastjsonschema",)


def _installed(package: str) -> tuple[Path, Path]:
    """The installed package's __init__.py and folder, found without importing it (handlers is not the components'
    to import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the reporter archive ships the package {package!r}, which is not installed")
    return Path(spec.origin), Path(spec.submodule_search_locations[0])


def _package_dir(package: str) -> Path:
    """Where the installed package is. Never the working directory: the component package's plugin runs in its
    consumer's folder."""
    return _installed(package)[0].resolve().parent


def _vendored_files(distribution: str) -> dict[str, Path]:
    package_dir = _installed(distribution)[1]
    files = {
        f"{distribution}/{p.relative_to(package_dir).as_posix()}": p
        for p in sorted(package_dir.rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    # Its licence travels with the copy we redistribute.
    for entry in importlib.metadata.distribution(distribution).files or ():
        if entry.name in ("LICENSE", "AUTHORS"):
            files[entry.as_posix()] = Path(entry.locate())
    return files


def archive_files(product: Optional[products.Product] = None) -> dict[str, Path]:
    """Archive path -> source file: the handler, the contract, the vendored package and the built-in catalogue entries
    the handler reads (the default one always: its schema module reads it; a built-in product reported, its own).
    Fails here, at preview, if a file is missing (mocks would not notice)."""
    package_files: tuple[tuple[str, str], ...] = PACKAGE_FILES
    if product is not None and product.id in products.builtin_ids():
        entry = ("contract.products", f"{product.id}{products.ENTRY_SUFFIX}")
        package_files = PACKAGE_FILES if entry in PACKAGE_FILES else (*PACKAGE_FILES, entry)
    files = {f"{package.replace('.', '/')}/{name}": _package_dir(package) / name for package, name in package_files}
    for distribution in VENDORED:
        files.update(_vendored_files(distribution))
    missing = [str(source) for source in files.values() if not source.is_file()]
    if missing:
        raise FileNotFoundError(f"reporter archive is missing {', '.join(missing)}")
    return files


def entry_path(product: products.Product) -> str:
    """Where the archive ships a product's entry: in the catalogue folder, where the handler looks up PRODUCT_ID."""
    return f"contract/products/{product.id}{products.ENTRY_SUFFIX}"


def reporter_archive(product: Optional[products.Product] = None) -> pulumi.AssetArchive:
    """The Lambda's code. A vendor's own product (not built in) ships as the entry's text, as checked."""
    assets: dict[str, Union[pulumi.Asset, pulumi.Archive]] = {
        path: pulumi.FileAsset(str(source)) for path, source in archive_files(product).items()
    }
    if product is not None and entry_path(product) not in assets:
        assets[entry_path(product)] = pulumi.StringAsset(products.dump(product))
    return pulumi.AssetArchive(assets)
