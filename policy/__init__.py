"""analytics-collector's Pulumi policy pack: the rules live in importable modules; `__main__.py` serves them.

Run it with `pulumi preview --policy-pack policy`. The rules read only resource properties (camelCase,
as the engine hands them over) and use nothing beyond pulumi-policy and the standard library, so the
pack's own virtualenv stays small.
"""
