"""The one message bridge: every panel says things to the user through it.

The main window's message banner listens to :attr:`MessageBridge.posted` (a :class:`Message`
with its level, plain words, the action that helps and the site it is about); tests listen
to it or to :attr:`MessageBridge.shown` (level, text).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from isr_desk.services.errors import IsrError, SecretMissingError

INFO, WARNING, ERROR = "info", "warning", "error"
SEVERITY = {INFO: 0, WARNING: 1, ERROR: 2}

# What the banner's button does; the main window carries them out.
SET_SECRET, UPDATE_SECRET, CHECK_ENDPOINT = "set-secret", "update-secret", "check-endpoint"
RETRY_FAILED, SEND_REST, ADD_SITE = "retry-failed", "send-rest", "add-site"
ACTION_LABELS = {
    SET_SECRET: "Set secret…",
    UPDATE_SECRET: "Update secret…",
    CHECK_ENDPOINT: "Check endpoint…",
    RETRY_FAILED: "Retry failed",
    SEND_REST: "Send the rest",
    ADD_SITE: "Add your site…",
}


@dataclass(frozen=True, slots=True)
class Message:
    """One thing to tell the user.

    ``note`` marks a side remark (a verification's verdict): it is added under a failure
    shown for the same run, never shown instead of it.
    """

    level: str
    text: str
    action: str = ""
    site: str = ""
    note: bool = False

    @property
    def severity(self) -> int:
        return SEVERITY.get(self.level, 0)


class MessageBridge(QObject):
    """Plain-language messages: ``posted(Message)`` and ``shown(level, text)``."""

    shown = Signal(str, str)
    posted = Signal(object)  # Message

    def post(self, message: Message) -> None:
        self.posted.emit(message)
        self.shown.emit(message.level, message.text)

    def info(self, text: str, *, action: str = "", site: str = "", note: bool = False) -> None:
        self.post(Message(INFO, text, action, site, note))

    def warning(self, text: str, *, action: str = "", site: str = "", note: bool = False) -> None:
        self.post(Message(WARNING, text, action, site, note))

    def error(self, error: IsrError | str, *, action: str = "", site: str = "") -> None:
        if isinstance(error, SecretMissingError):
            # The service's hint is a shell command; in the window a button does it.
            text, action = f"{error.message}. Set it to refresh this site's pages.", SET_SECRET
        else:
            text = error.describe() if isinstance(error, IsrError) else error
        self.post(Message(ERROR, text, action, site))
