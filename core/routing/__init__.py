"""Replica-aware routing: commands write to the primary, queries read a caught-up hot standby.

- `state`: what the current request or task has done (wrote? which LSN must it see?), in a ContextVar.
- `health`: which standbys are up, how far they have replayed, back-off for the ones that are not.
- `router`: the Django database router that decides per query.
- `middleware`: per-request state, the read-your-writes cookie, one structured log line per request.
- `tasks`: the same rules for Celery tasks (the LSN travels in a message header).
- `standby`: the database backend for standby aliases (read-only copies, also in tests).
"""
