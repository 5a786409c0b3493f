"""Promotion and rollback: packages, environments, gates."""
