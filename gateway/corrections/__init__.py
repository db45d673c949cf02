"""Staff corrections of a redaction, kept as proposals for IT (issue 13): the table, the
service that records and decides them, and the approved names and words a department's
profile gains for the next request. Detection itself stays in ``redaction``."""
