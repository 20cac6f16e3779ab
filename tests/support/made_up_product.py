"""A stack that names its products: the default one (by its built-in id, spelled here) and the made-up one `make demo`
serves (tooling/demo/acme-widgets.json), the one made-up product the tests use."""

import json

from contract import products
from tooling.demo.made_up_product import ENTRY
from tooling.mocked_program.pulumi_mocks import PROJECT, stack_config

REFERENCES = ("lunasec-tokenizer", str(ENTRY))


def made_up_product() -> products.Product:
    return products.load_file(ENTRY)


def served_products() -> dict[str, products.Product]:
    """The products that stack serves, by the id each route carries."""
    return {"lunasec-tokenizer": products.default(), "acme-widgets": made_up_product()}


def config_with_products(stack: str = "dev") -> dict[str, str]:
    """The committed stack's config, serving the default product and the made-up one."""
    return {**stack_config(stack), f"{PROJECT}:products": json.dumps(list(REFERENCES))}
