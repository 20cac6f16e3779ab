"""Stack settings read both by the program (stack_config) and by tools that run without Pulumi (the usage report reads
a stack's own Pulumi.<stack>.yaml). Kept out of the modules the reporter Lambda ships (components/reporter_code.py),
so naming a setting here changes no deployed code."""

# `<project>:products`: the products a stack serves (contract/products; docs/products.md).
PRODUCTS = "products"
# `<project>:releases`: per product id, the path of its releases file (contract/releases.py; docs/releases.md).
RELEASES = "releases"
