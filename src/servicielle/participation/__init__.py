"""Participation: proposals, consultations and participatory budgets with fair tallies."""
