"""APScheduler 3.x wiring behind the domain's ``JobScheduler`` port."""

from bot.scheduling.jobs import ApsJobScheduler, LocalTimeTrigger

__all__ = ["ApsJobScheduler", "LocalTimeTrigger"]
