"""Notifications of participation: digests, phase openings."""
