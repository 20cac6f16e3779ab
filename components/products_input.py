"""The `products` input the collector's components share: the catalogue references a stack names (contract/products),
checked at construction. Not a tunable: a stack names its products once, at the top (analytics-collector:products),
and the program hands the same list to each component."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Optional

from components.tunables import ArgsError
from contract import products as catalogue


def products_field(meaning: str) -> Any:
    return dataclasses.field(default=None, metadata={"meaning": meaning})


def catalogue_of(args: Any, references: Optional[Sequence[str]]) -> Optional[tuple[catalogue.Product, ...]]:
    """The named products, loaded and checked together; None when none are named (the component as released)."""
    if references is None:
        return None
    name = f"{type(args).__name__}.products"
    if isinstance(references, str) or not references:
        raise ArgsError(name, references, "unset, or a non-empty list of products")
    try:
        return catalogue.catalogue(list(references))
    except catalogue.CatalogueError as error:
        raise ArgsError(name, list(references), str(error)) from None
