"""`make demo`: the whole pipeline offline on LocalStack, from a report's POST to the saved queries' answers."""
