"""Every rule of the pack, in one list: the pack serves it, the tests run it, docs/guardrails.md lists it."""

from policy import api_rules, iam_rules, service_rules, storage_rules

POLICIES = [*storage_rules.POLICIES, *api_rules.POLICIES, *service_rules.POLICIES, *iam_rules.POLICIES]
