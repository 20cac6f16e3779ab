"""The warehouse's shape, standard library only: where Firehose puts objects (layout), the table's columns
derived from the report schema (columns) and how a delivered object is read (delivered)."""
