"""Processes and their phases: the public pages and the back office."""
