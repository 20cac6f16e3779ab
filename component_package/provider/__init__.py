"""The components as a Pulumi component package: the schema built from their Args and outputs, and the provider
that constructs them for a Pulumi program in any language (component_package/ starts it).

Hand-rolled rather than hosted by `pulumi.provider.experimental`, for three reasons (SDK 3.272):
- Type tokens. The components register `analytics:<module>:<Class>` (e.g. `analytics:reporter:DailyAggregator`),
  and every existing stack's URNs contain them; the experimental host accepts only `<package>:index:<Class>`,
  so hosting there would rename every component and replace what stands under it.
- Required inputs. Its schema analyzer ignores dataclass defaults: a field is optional only when annotated
  Optional or NotRequired, so every tunable with a default would become a required input.
- Defaults and allowed values. The schema here carries each tunable's default, and its rule's allowed values in
  the description (components/tunables.py); the analyzer writes neither.
"""
