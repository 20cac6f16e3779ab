"""Rewrite README.md's generated sections in place."""

from docs_generation import README, fleet_costs, render_readme

README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
print(f"updated {README}")
fleet_costs.DOC.write_text(fleet_costs.render(fleet_costs.DOC.read_text(encoding="utf-8")), encoding="utf-8")
print(f"updated {fleet_costs.DOC}")
