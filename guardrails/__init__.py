"""Rules stated once, as data: the components build from them, the policy pack checks any stack against them,
and the tests read them to check both.

Standard library only: the policy pack imports this package from its own venv, which holds pulumi-policy and
nothing else (policy/__main__.py puts the repository root on its import path).
"""
