"""The `sre` command line and self-hosted runner, on the public HTTP API only."""
