"""Citizen reports: signal a problem, route it, follow it to the fix, speak Open311."""
