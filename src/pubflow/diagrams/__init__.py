"""Everything about Mermaid diagrams: the parser, the budgets, and the `diagrams` command's core."""
