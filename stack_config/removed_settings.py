"""Settings the program once accepted and now refuses, each with the reason: a stack file that still sets one
learns what changed and why, instead of reading only "not a known setting"."""

from contract.guardrails import client_identity

# (section, key) -> why it went and what to do
REMOVED = {
    ("endpoint", "xrayTracing"): (
        "X-Ray trace segments keep each caller's IP and user agent for 30 days, which breaks the privacy promise; "
        f"tracing is always off and the policy pack's {client_identity.XRAY.rule} rule refuses it. "
        "Delete the key"
    ),
}
