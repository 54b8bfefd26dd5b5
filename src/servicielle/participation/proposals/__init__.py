"""Proposals: written, compared, supported, discussed, answered."""
