"""Where tickets live, for code that only needs to know whether there are any.

`validate` asks on every run; importing the ticket store (YAML and all) for that would cost
more than the answer.
"""

from __future__ import annotations

from pathlib import Path

PUBFLOW_DIR = ".pubflow"
TICKETS_DIR = f"{PUBFLOW_DIR}/tickets"


def has_tickets(root: Path) -> bool:
    return (root / TICKETS_DIR).is_dir()
