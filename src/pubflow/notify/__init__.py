"""Notifications: who is told what when a ticket or a release moves.

Every message is written to the outbox first (`.pubflow/outbox/`, git-ignored: it is this
clone's delivery queue), then offered to each configured channel (webhook, SMTP). A channel
that fails never fails the command that caused the message: the message stays pending in the
outbox and `pubflow notify flush` delivers it later.
"""
