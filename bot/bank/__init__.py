"""The question bank: loading and validating packs, lookups, and authoring tools."""

from bot.bank.bank import QuestionBank
from bot.bank.commands import run_check, run_stats
from bot.bank.loader import LoadResult, load_bank
from bot.bank.problems import Problem
from bot.bank.stats import BankStats, compute_stats, format_stats

__all__ = [
    "BankStats",
    "LoadResult",
    "Problem",
    "QuestionBank",
    "compute_stats",
    "format_stats",
    "load_bank",
    "run_check",
    "run_stats",
]
