"""Participatory budgets: envelopes, projects, secret ballots, tallies."""
