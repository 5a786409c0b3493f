"""Delivery channels: a JSON webhook signed with HMAC-SHA256, and SMTP email.

Secrets come from environment variables named in `pubflow.yaml`, never from the file itself.
A delivery raises `DeliveryError` with a one-line reason; the caller keeps the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import time
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import urllib.request

from pubflow.notify.messages import Notification

SIGNATURE_HEADER = "X-Pubflow-Signature"


class DeliveryError(Exception):
    """A channel could not deliver; the message stays pending in the outbox."""


_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_HIDDEN_KEEP_NEWLINE = re.compile(f"[{_HIDDEN}]")
_HIDDEN_ONE_LINE = re.compile(f"[\n{_HIDDEN}]")


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """Control, bidi override and surrogate characters as `\\x1b`-style escapes (tabs stay;
    newlines only with `keep_newlines`): `reporters.printable`'s rule, for this layer."""
    pattern = _HIDDEN_KEEP_NEWLINE if keep_newlines else _HIDDEN_ONE_LINE

    def escaped(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return pattern.sub(escaped, text)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# Waiting between attempts (back-off and `Retry-After` together) never exceeds this per
# message: a server that asks for longer leaves the message pending for `notify flush`.
RETRY_BUDGET_SECONDS = 10.0
# Same-origin 307/308 redirects (which keep the method and the body) followed per attempt.
MAX_REDIRECTS = 3


def _opener() -> urllib.request.OpenerDirector:
    """An opener that hands every 3xx back to `send_webhook` as an HTTPError: urllib would
    otherwise follow a redirect to any host with the signature header (and turn the POST into
    a bodiless GET)."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


def _origin(url: str) -> tuple[str, str, int | None]:
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """The wait a `Retry-After` header asks for (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_seconds(attempt: int) -> float:
    """Jittered exponential back-off before retry `attempt` (1, 2, ...): 0.1-0.2 s, then
    0.2-0.4 s, ..., at most 2 s."""
    ceiling = min(0.2 * 2 ** (attempt - 1), 2.0)
    return random.uniform(ceiling / 2, ceiling)


def send_webhook(settings: dict[str, Any], message: Notification) -> str:
    """POST the message as JSON; 2xx counts as delivered. 5xx, 429 and network errors are
    retried with jittered back-off, honouring `Retry-After` within RETRY_BUDGET_SECONDS.
    A redirect is followed only to the same scheme, host and port, and only a 307/308 (the
    POST is repeated with its body and signature); any other redirect is a failed delivery."""
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
    opener = _opener()
    waited = 0.0
    made = 0
    while True:
        made += 1
        outcome = _post(opener, url, body, headers, timeout)
        if outcome.delivered:
            return f"webhook: {outcome.text}"
        problem = outcome.text
        if not outcome.retry or made >= attempts:
            break
        pause = backoff_seconds(made)
        if outcome.retry_after is not None:
            asked = outcome.retry_after
            pause = max(pause, asked + random.uniform(0, min(1.0, asked / 10)))
        if waited + pause > RETRY_BUDGET_SECONDS:
            if outcome.retry_after is not None:
                problem += (f"; it asks to retry after {outcome.retry_after:g} s, beyond the "
                            f"retry budget of {RETRY_BUDGET_SECONDS:g} s")
            break
        time.sleep(pause)
        waited += pause
    raise DeliveryError(f"webhook {url}: {problem} (after {made} attempt(s))")


class _Outcome(NamedTuple):
    delivered: bool
    text: str
    retry: bool = False
    retry_after: float | None = None


def _post(opener: urllib.request.OpenerDirector, url: str, body: bytes,
          headers: dict[str, str], timeout: float) -> _Outcome:
    """One attempt: POST to `url`, following same-origin 307/308 redirects only."""
    import urllib.error
    import urllib.parse
    import urllib.request

    target = url
    for _hop in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=timeout) as response:
                return _Outcome(True, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code >= 500 or exc.code == 429:
                asked = exc.headers.get("Retry-After") if exc.headers else None
                return _Outcome(False, problem, True, retry_after_seconds(asked))
            if not 300 <= exc.code < 400:
                return _Outcome(False, problem)  # the receiver refused this message
            location = exc.headers.get("Location") if exc.headers else None
            if not location:
                return _Outcome(False, problem + " without a Location")
            moved = urllib.parse.urljoin(target, location)
            if _origin(moved) != _origin(target):
                return _Outcome(False, f"{problem}: a redirect to another host ({moved}) is "
                                "not followed")
            if exc.code not in (307, 308):
                return _Outcome(False, f"{problem}: redirects to {moved}; only 307 and 308 "
                                "redirects are followed, set the webhook url to the new address")
            target = moved
        except (urllib.error.URLError, OSError) as exc:
            return _Outcome(False, str(getattr(exc, "reason", exc)), True)
    return _Outcome(False, f"more than {MAX_REDIRECTS} redirects (the last to {target})")


def send_email(settings: dict[str, Any], message: Notification) -> str:
    """Send the message; a login needs `starttls` (or an explicit `allow_plaintext_login`)."""
    import smtplib
    from email.message import EmailMessage

    if not message.to:
        return "smtp: nobody to send to"
    email = EmailMessage()
    try:
        # Subjects and bodies quote reasons, comments and reporters' ids: no header breaks,
        # no terminal escapes for whoever reads the mail in a terminal.
        email["Subject"] = visible(message.subject)
        email["From"] = str(settings.get("sender") or "pubflow@localhost")
        email["To"] = ", ".join(message.to)
        email["Message-ID"] = f"<{message.id}@pubflow>"
        email.set_content(visible(message.body, keep_newlines=True))
    except (ValueError, TypeError) as exc:  # an address holding a line break, say
        raise DeliveryError(f"smtp: cannot build the message: {visible(str(exc))}") from exc
    host, port = str(settings["host"]), int(settings.get("port", 25))
    timeout = float(settings.get("timeout_seconds", 10))
    user_env, password_env = settings.get("username_env"), settings.get("password_env")
    if (user_env or password_env) and not settings.get("starttls") \
            and settings.get("allow_plaintext_login") is not True:
        # checked before connecting: nothing is sent, the message stays pending
        raise DeliveryError(f"smtp {host}:{port}: refusing to send the password without TLS; "
                            "set starttls: true (or allow_plaintext_login: true) under "
                            "notifications.smtp")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            if settings.get("starttls"):
                client.starttls()
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
