"""A stack that names its products: the default one (by its built-in id, spelled here) and a made-up one from
tests/data."""

import json
from pathlib import Path

from contract import products
from tooling.mocked_program.pulumi_mocks import PROJECT, stack_config

ENTRY = Path(__file__).resolve().parents[1] / "data" / "acme-gadgets.json"
REFERENCES = ("lunasec-tokenizer", str(ENTRY))


def made_up_product() -> products.Product:
    return products.load_file(ENTRY)


def served_products() -> dict[str, products.Product]:
    """The products that stack serves, by the id each route carries."""
    return {"lunasec-tokenizer": products.default(), "acme-gadgets": made_up_product()}


def config_with_products(stack: str = "dev") -> dict[str, str]:
    """The committed stack's config, serving the default product and the made-up one."""
    return {**stack_config(stack), f"{PROJECT}:products": json.dumps(list(REFERENCES))}
