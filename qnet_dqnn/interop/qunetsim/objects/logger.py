"""QuNetSim's logger: a singleton that writes through :mod:`logging` unless ``Logger.DISABLED``."""

from __future__ import annotations

import logging
from typing import Any, ClassVar


class Logger:
    """The QuNetSim logger (``Logger.get_instance()``); ``Logger.DISABLED = True`` silences it."""

    DISABLED: ClassVar[bool] = True
    _instance: ClassVar[Logger | None] = None

    def __init__(self) -> None:
        self.logger = logging.getLogger("qu_net_sim")

    @staticmethod
    def get_instance() -> Logger:
        """The one logger."""
        if Logger._instance is None:
            Logger._instance = Logger()
        return Logger._instance

    def log(self, message: Any) -> None:
        """Log at INFO level."""
        if not Logger.DISABLED:
            self.logger.info("%s", message)

    def warn(self, message: Any) -> None:
        """Log at WARNING level."""
        if not Logger.DISABLED:
            self.logger.warning("%s", message)

    def error(self, message: Any) -> None:
        """Log at ERROR level."""
        if not Logger.DISABLED:
            self.logger.error("%s", message)

    def debug(self, message: Any) -> None:
        """Log at DEBUG level."""
        if not Logger.DISABLED:
            self.logger.debug("%s", message)
