"""Trials: a department's proposal, IT's review, the approved trial's policy and the decisions
recorded at each monthly review (issue 16). Reads KPIs through ``audit``; changes policies only
through the one policy-editing service."""
