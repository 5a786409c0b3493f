"""After release: engagement events, impact on users, escalation."""
