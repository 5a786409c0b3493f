"""Where tickets live, for code that only needs to know whether there are any.

`validate` asks on every run; importing the ticket store (YAML and all) for that would cost
more than the answer.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from pathlib import Path

PUBFLOW_DIR = ".pubflow"
TICKETS_DIR = f"{PUBFLOW_DIR}/tickets"


def has_tickets(root: Path | str) -> bool:
    return os.path.isdir(os.path.join(root, TICKETS_DIR))
