"""Accounts: people, roles, sessions, API tokens."""
