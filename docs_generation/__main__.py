"""Rewrite README.md's generated sections in place."""

from docs_generation import README, render_readme

README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
print(f"updated {README}")
