"""Starts the component package's provider; the language host runs `python <this folder> <engine address>`.

Everything it runs is imported from the venv the host built from this folder (pyproject.toml), so the
components find their templates, SQL and the reporter's source there, never in the consumer's folder.
"""

import sys

from pulumi.provider import main

from component_package.provider.provider import ComponentPackageProvider

if __name__ == "__main__":
    main(ComponentPackageProvider(), sys.argv[1:])
