"""The original product's counters as reporters in the field send them: a deliberate pin, spelled here and not read
from the catalogue entry, because renaming one breaks every deployed reporter and a guard does not read what it
guards."""

ORIGINAL_COUNTERS = (
    "tokenizeSuccess",
    "tokenizeFailure",
    "detokenizeSuccess",
    "detokenizeFailure",
    "createGrantSuccess",
    "createGrantFailure",
)
