"""The `products` input the collector's components share: the catalogue references a stack names (contract/products),
checked at construction. Not a tunable: a stack names its products once, at the top (analytics-collector:products),
and the program hands the same list to each component."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from components.tunables import ArgsError
from contract import products as catalogue


def products_field(meaning: str) -> Any:
    return dataclasses.field(default=None, metadata={"meaning": meaning})


def catalogue_of(
    args: Any, references: Optional[Sequence[str]], release_files: Optional[Mapping[str, str]] = None
) -> Optional[tuple[catalogue.Product, ...]]:
    """The named products, loaded and checked together, with the releases files named for some of them; None when
    none are named (the component as released)."""
    where = type(args).__name__
    if release_files is not None and (
        not isinstance(release_files, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in release_files.items())
    ):
        raise ArgsError(f"{where}.releases", release_files, "unset, or an object of product id -> releases file path")
    if references is None:
        if release_files:
            raise ArgsError(
                f"{where}.releases", dict(release_files), "unset while products is unset: name the products served"
            )
        return None
    name = f"{where}.products"
    if isinstance(references, str) or not references:
        raise ArgsError(name, references, "unset, or a non-empty list of products")
    try:
        return catalogue.catalogue(list(references), ".", release_files)
    except catalogue.CatalogueError as error:
        raise ArgsError(name, list(references), str(error)) from None
