"""Counsellor accounts, sessions and the audit log; the CLI is `python -m bot.admin`."""
