"""Security settings stated once, as data, which the components build from; and the privacy features with the
policy-pack rule that refuses each (client_identity.py). The policy pack's rules and the tests spell the values
they require themselves instead of reading the ones the program is built from: a guard that shared its answer
with what it guards would move along with it.

Standard library only: the policy pack imports this package from its own venv, which holds pulumi-policy and
nothing else (policy/__main__.py puts the repository root on its import path).
"""
