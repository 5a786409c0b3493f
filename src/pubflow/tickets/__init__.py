"""The ticket workflow (Beats 3 and 8-10): create, route, review and resubmit, one git commit
per state change, and renumbering ids two branches both took. The tickets themselves (model,
states, hash chain, files) are records (`pubflow.records`). Knows nothing of the terminal."""
