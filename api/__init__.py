"""wangge HTTP API: app factory, settings, database access, routers and CLI."""
