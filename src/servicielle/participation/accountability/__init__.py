"""Accountability: what became of the winning projects."""
