"""Audit log: who wrote what, when and from where, recorded on every flush."""
