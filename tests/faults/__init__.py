"""Fault tests (issue 6): real process kills, a locked database, platform
failures and clock changes, each checked against what the README promises."""
