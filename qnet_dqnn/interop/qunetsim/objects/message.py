"""QuNetSim's classical message: a sender, a content and a sequence number."""

from __future__ import annotations

from typing import Any


class Message:
    """A classical message (QuNetSim's ``qunetsim.objects.Message``)."""

    def __init__(self, sender: str, content: Any, seq_num: int) -> None:
        self.sender = sender
        self.content = content
        self.seq_num = seq_num

    def __str__(self) -> str:
        return f"Sender: {self.sender}\nContent: {self.content}\nSequence number: {self.seq_num}"

    def __repr__(self) -> str:
        return f"Message(sender={self.sender!r}, content={self.content!r}, seq_num={self.seq_num})"
