"""Run the real bot in a terminal: one simulated space and channel, several users."""

from bot.adapters.terminal.console import Console
from bot.adapters.terminal.platform import TerminalPlatform

__all__ = ["Console", "TerminalPlatform"]
