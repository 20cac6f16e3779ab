"""The policy statements a program run declares, read as the policy pack reads them."""

from policy.iam_rules import POLICY_DOCUMENT_TYPES, policy_documents
from tooling.mocked_program.pulumi_mocks import ProgramRun


def policy_statements(run: ProgramRun) -> list[dict]:
    """Every statement of every policy document, found where the policy pack's IAM rule looks for them."""
    return [
        s
        for r in run.resources
        if r.typ in POLICY_DOCUMENT_TYPES
        for doc in policy_documents(r.inputs)
        for s in doc["Statement"]
    ]
