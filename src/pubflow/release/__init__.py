"""Promotion and rollback: gates and plans, packages and pages, smoke and health checks,
crash-safe commits, and the status dashboard. Environment files are records
(`pubflow.records.environments`)."""
