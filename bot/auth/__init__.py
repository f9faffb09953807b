"""Who may read what: the school registry, counsellor accounts, login sessions and the audit
log. The gateway (bot.api) and the admin command line (bot.admin) both use it."""
