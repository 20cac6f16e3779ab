"""The statement that makes a bucket, topic or queue refuse every request sent over plain HTTP: the program
puts it in their resource policies; policy/storage_rules.py looks for it, spelled there, in every bucket's policy."""

DENY = "Deny"
EVERYONE = "*"
CONDITION_OPERATOR = "Bool"
SECURE_TRANSPORT_KEY = "aws:SecureTransport"
# IAM condition values are strings, and aws:SecureTransport is "false" exactly when the request is plain HTTP.
INSECURE = "false"


def deny_without_tls(action: str, resources) -> dict:
    """`resources` is one ARN or a list of them (plain strings, or Pulumi outputs in the program)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": DENY,
        "Principal": EVERYONE,
        "Action": action,
        "Resource": resources,
        "Condition": {CONDITION_OPERATOR: {SECURE_TRANSPORT_KEY: INSECURE}},
    }
