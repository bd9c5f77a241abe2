"""The `sre` commands, one module per group; `sre_client.cli` puts them together."""
