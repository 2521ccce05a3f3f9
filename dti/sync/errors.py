"""What a connector raises when a pull ends without everything the source holds for the window: the sync
then keeps what arrived, moves no watermark, and marks the source incomplete (its claims unverifiable)."""

from __future__ import annotations


class SourceCutShort(Exception):
    """A pull cut short by the source's misbehaviour; `reason` is a short code (cursor_stalled, …)."""

    reason: str = "incomplete"
