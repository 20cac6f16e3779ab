"""What every part of the project shares, stated once: the report schema, the API Gateway templates,
the saved SQL, the warehouse layout, the security guardrails and the reporter's interface.

Standard library only (tests/test_project_layout.py): the reporter Lambda, the policy pack's venv
and the component package all import it."""
