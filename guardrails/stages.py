"""API Gateway stage guards: CollectorEndpoint sets them, policy/api_rules.py checks every stage for them."""

# Levels at which a stage writes execution logs. The config may also say OFF, which the policy pack refuses.
EXECUTION_LOG_LEVELS = ("ERROR", "INFO")

# Method settings for this path apply to every method of the stage.
ALL_METHODS = "*/*"
