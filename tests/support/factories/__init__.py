"""factory_boy factories, one module per app (a test imports only the apps it is allowed to)."""
