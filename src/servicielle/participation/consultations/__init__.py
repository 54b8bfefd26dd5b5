"""Consultations: a question set or a document open to observations for a dated period."""
