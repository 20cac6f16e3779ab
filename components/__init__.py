"""The reusable ComponentResources and their helpers: each component validates typed Args and parents every child."""

# The release: both pyproject.toml files, the component package's schema and the `v*` tag all read this.
__version__ = "0.8.0"
