"""The administrator's command line, `python -m bot.admin`: only the command line. What it
changes (schools, accounts, sessions, the audit log) lives in bot.auth."""
