"""The outbox: write-side changes recorded in the same transaction, relayed to Celery after commit."""
