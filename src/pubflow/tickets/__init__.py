"""Publication tickets (Beats 3 and 8-10): YAML files under `.pubflow/tickets/`, one git
commit per state change, a hash-chained history. The core knows nothing of the terminal."""
