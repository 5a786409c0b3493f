"""The state pubflow commits to the repository: tickets (model, states, hash chains, files,
index, verification, the git merge driver), environment files and catalogs, the audit log.

Every workflow reads these records, so they sit below all of them: the release workflow
reads tickets without importing the ticket workflow, and the validation run's lock check
reads pins without importing either.
"""
