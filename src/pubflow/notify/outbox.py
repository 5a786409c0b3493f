"""The outbox: every notification as a JSON file, with its delivery state per channel.

`send` writes the message and tries the channels at once; `flush` retries what is pending.
Nothing here raises for a failed delivery: it is recorded and retried later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.config import DEFAULT_OUTBOX, Config
from pubflow.notify.channels import DeliveryError, send_email, send_webhook, visible
from pubflow.notify.messages import Notification
from pubflow.storage.files import atomic_write_bytes
from pubflow.storage.safepaths import check_state_tree

__all__ = ["CHANNELS", "DEFAULT_OUTBOX", "Delivery", "flush", "outbox_dir", "pending", "send"]
Sender = Callable[[dict[str, Any], Notification], str]
CHANNELS: dict[str, Sender] = {"webhook": send_webhook, "smtp": send_email}


@dataclass(frozen=True, slots=True)
class Delivery:
    file: str
    channel: str
    ok: bool
    detail: str


def outbox_dir(config: Config) -> Path:
    return config.outbox_path


def _checked(config: Config, *, writing: bool) -> Path:
    """The outbox folder, refused (exit 2) when it or a file in it is a link (writing), or
    leads outside the repository (reading)."""
    folder = outbox_dir(config)
    check_state_tree(config.root, writing=writing, extra=(folder,))
    return folder


def send(config: Config, message: Notification) -> list[Delivery]:
    """Write `message` to the outbox, then offer it to every configured channel."""
    folder = _checked(config, writing=True)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # this clone's delivery queue, never history
        atomic_write_bytes(ignore, b"# pubflow's notification queue for this clone\n*\n",
                           root=config.root)
    path = folder / f"{message.at.replace(':', '')}-{message.kind}-{message.id}.json"
    record = {"message": message.to_json(),
              "channels": {name: {"status": "pending", "attempts": 0, "detail": None}
                           for name in CHANNELS if config.notifications.get(name)}}
    atomic_write_bytes(path, _dump(record), root=config.root)
    return _deliver(config, path, record)


def flush(config: Config) -> list[Delivery]:
    """Retry every pending delivery in the outbox."""
    folder = _checked(config, writing=True)
    results: list[Delivery] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_bytes())
        except (OSError, ValueError):
            results.append(Delivery(path.name, "-", False, "unreadable outbox file"))
            continue
        channels = record.setdefault("channels", {})
        for name in CHANNELS:
            if config.notifications.get(name) and name not in channels:
                channels[name] = {"status": "pending", "attempts": 0, "detail": None}
        results += _deliver(config, path, record)
    return results


def pending(config: Config) -> list[tuple[str, str]]:
    """(file, channel) of every delivery still to make."""
    folder = _checked(config, writing=False)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        found += [(path.name, name) for name, state in record.get("channels", {}).items()
                  if state.get("status") != "sent"]
    return found


def _deliver(config: Config, path: Path, record: dict[str, Any]) -> list[Delivery]:
    message = _message(record["message"])
    results = []
    for name, state in record["channels"].items():
        if state.get("status") == "sent" or name not in CHANNELS:
            continue
        settings = config.notifications.get(name)
        if not isinstance(settings, dict):
            continue
        state["attempts"] = int(state.get("attempts", 0)) + 1
        try:
            detail = visible(CHANNELS[name](settings, message))
            state.update(status="sent", detail=detail)
            results.append(Delivery(path.name, name, True, detail))
        except DeliveryError as exc:
            # A server's words (an HTTP reason, an SMTP reply) are shown on the terminal.
            state.update(status="pending", detail=visible(str(exc)))
            results.append(Delivery(path.name, name, False, visible(str(exc))))
    atomic_write_bytes(path, _dump(record), root=config.root)
    return results


def _message(raw: dict[str, Any]) -> Notification:
    return Notification(str(raw["kind"]), str(raw["subject"]), str(raw["body"]),
                        tuple(raw.get("to") or ()), str(raw["at"]), dict(raw.get("data") or {}))


def _dump(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
