"""The state pubflow commits to the repository: tickets, environment files, the audit log."""
