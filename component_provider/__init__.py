"""The components as a Pulumi component package: the schema built from their Args and outputs, and the provider
that constructs them for a Pulumi program in any language (component_package/ starts it)."""
