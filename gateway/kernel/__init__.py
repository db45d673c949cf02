"""The kernel every package may import: the one error tree, the principal, settings, the
database base and column types, the vocabulary (``StrEnum``s), time helpers and the local
spool (durable records for writes a shared store could not take). It imports
nothing else of Kakehashi's packages."""
