"""Delivery channels: a JSON webhook signed with HMAC-SHA256, and SMTP email.

Secrets come from environment variables named in `pubflow.yaml`, never from the file itself.
A delivery raises `DeliveryError` with a one-line reason; the caller keeps the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any

from pubflow.notify.messages import Notification

SIGNATURE_HEADER = "X-Pubflow-Signature"


class DeliveryError(Exception):
    """A channel could not deliver; the message stays pending in the outbox."""


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_webhook(settings: dict[str, Any], message: Notification) -> str:
    """POST the message as JSON; retried with a short back-off; 2xx counts as delivered."""
    import urllib.error
    import urllib.request

    url = str(settings["url"])
    body = json.dumps(message.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "pubflow",
               "X-Pubflow-Event": message.kind, "X-Pubflow-Delivery": message.id}
    secret_env = settings.get("secret_env")
    if secret_env:
        secret = os.environ.get(str(secret_env))
        if not secret:
            raise DeliveryError(f"webhook: environment variable {secret_env} (the signing "
                                "secret) is not set")
        headers[SIGNATURE_HEADER] = sign(body, secret)
    timeout = float(settings.get("timeout_seconds", 5))
    attempts = int(settings.get("retries", 2)) + 1
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return f"webhook: HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                break  # the receiver refused this message; retrying will not help
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = str(reason)
    raise DeliveryError(f"webhook {url}: {problem} (after {attempt + 1} attempt(s))")


def send_email(settings: dict[str, Any], message: Notification) -> str:
    import smtplib
    from email.message import EmailMessage

    if not message.to:
        return "smtp: nobody to send to"
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = str(settings.get("sender") or "pubflow@localhost")
    email["To"] = ", ".join(message.to)
    email["Message-ID"] = f"<{message.id}@pubflow>"
    email.set_content(message.body)
    host, port = str(settings["host"]), int(settings.get("port", 25))
    timeout = float(settings.get("timeout_seconds", 10))
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            if settings.get("starttls"):
                client.starttls()
            user_env, password_env = settings.get("username_env"), settings.get("password_env")
            if user_env or password_env:
                user = os.environ.get(str(user_env or ""))
                password = os.environ.get(str(password_env or ""))
                if not user or not password:
                    raise DeliveryError(f"smtp: set {user_env} and {password_env} to log in")
                client.login(user, password)
            client.send_message(email)
    except DeliveryError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp {host}:{port}: {exc}") from exc
    return f"smtp: sent to {len(message.to)} recipient(s)"
