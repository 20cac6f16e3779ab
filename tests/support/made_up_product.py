"""A stack that names its products: the default one (by its built-in id, spelled here) and the made-up one `make demo`
serves (tooling/demo/acme-widgets.json), the one made-up product the tests use. The made-up one declares its releases
in its entry; the default one's come from a releases file the stack names (as the operator of a built-in product
would)."""

import json
from pathlib import Path

from contract import products
from tooling.demo.made_up_product import ENTRY
from tooling.mocked_program.pulumi_mocks import PROJECT, stack_config

DATA = Path(__file__).resolve().parents[1] / "data"
REFERENCES = ("lunasec-tokenizer", str(ENTRY))
RELEASE_FILES = {"lunasec-tokenizer": str(DATA / "lunasec-tokenizer-releases.json")}


def acme_entry(**changes) -> dict:
    """The smallest entry of a made-up product, as a vendor writes it: one counter; `changes` replace or add keys."""
    return {
        "id": "acme-widgets",
        "display_name": "Acme widgets",
        "version_format": "semver",
        "counters": [{"name": "widgetsMade", "meaning": "Widgets made."}],
        **changes,
    }


def made_up_product() -> products.Product:
    return products.load_file(ENTRY)


def served_products() -> dict[str, products.Product]:
    """The products that stack serves, by the id each route carries, with their releases."""
    return {product.id: product for product in products.catalogue(REFERENCES, release_files=RELEASE_FILES)}


def config_with_products(stack: str = "dev") -> dict[str, str]:
    """The committed stack's config, serving the default product and the made-up one, with a releases file."""
    return {
        **stack_config(stack),
        f"{PROJECT}:products": json.dumps(list(REFERENCES)),
        f"{PROJECT}:releases": json.dumps(RELEASE_FILES),
    }
