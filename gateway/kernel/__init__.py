"""The kernel every package may import: the one error tree, the principal, settings, the
database base and column types, the vocabulary (``StrEnum``s) and time helpers. It imports
nothing else of Kakehashi's packages."""
