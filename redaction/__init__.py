"""Kakehashi redaction: find personal and confidential data in prompts, swap it for typed
placeholders before anything leaves the gateway, and restore the placeholders in the answer.

Modules: ``entities`` (types), ``normalize`` (offset-mapped normalisation), ``nlp`` (Sudachi for
Presidio), ``recognizers/`` (one per identifier), ``engine`` (the Redactor), ``placeholders``
(the grammar), ``mapping`` (placeholder allocation), ``vault`` (server-side mapping store),
``boundary`` (what the gateway pipeline calls: every field of a request, ``fields`` and
``walk``), ``analysis`` (one analysis per request), ``service`` (substitution, preview),
``restore`` and ``responses`` (answers, also streamed), ``cli``.
This package imports no web stack and no provider library; importing it is cheap (heavy
libraries load in ``Redactor.build``).
"""
