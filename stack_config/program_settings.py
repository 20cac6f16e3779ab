"""Settings that decide what the program deploys, not how a component behaves: they belong to the program.

They share a config section with a component's Args (`waf.enabled` beside `waf.rateLimitPerIp`), so a stack
file reads naturally, but no component sees them: `CollectorWaf` is simply not declared when WAF is off.
"""

from dataclasses import dataclass
from typing import Optional

from components.tunables import boolean, https_url, tunable


@dataclass(frozen=True)
class WafProgramSettings:
    enabled: bool = tunable(False, boolean(), "Put an AWS WAF web ACL in front of the stage (billed per ACL and rule).")


@dataclass(frozen=True)
class ReporterProgramSettings:
    collector_url: Optional[str] = tunable(
        None, https_url(optional=True),
        "Where this stack's own reporter posts; unset, it posts to this stack's collector.")


PROGRAM_SETTINGS: dict[str, type] = {"waf": WafProgramSettings, "reporter": ReporterProgramSettings}
