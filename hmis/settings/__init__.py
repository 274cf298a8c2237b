"""Settings by environment: `base` (development and `make run`), `production` (containers, `make bench`),
`test` (pytest). Each reads the environment (`.env.example` lists every variable)."""
