"""API Gateway stage guards: CollectorEndpoint sets them; policy/api_rules.py checks every stage for the same
values, spelled there."""

# The only level at which a stage may write execution logs. INFO logs keep each request's headers (the client's
# IP in X-Forwarded-For, its User-Agent) and, in validation messages, the content of rejected bodies.
EXECUTION_LOG_LEVELS = ("ERROR",)
# The config may also turn execution logging off: nothing is kept, but the policy pack refuses it, because
# AWS's control APIGateway.1 wants errors logged.
LOGGING_OFF = "OFF"

# Method settings for this path apply to every method of the stage.
ALL_METHODS = "*/*"

# X-Ray trace segments keep each caller's IP and user agent for 30 days; full request/response logging (data
# trace) keeps bodies and headers. Both stay off in every stack.
XRAY_TRACING_ENABLED = False
DATA_TRACE_ENABLED = False
