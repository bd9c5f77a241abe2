"""Agent profiles: an account's choice of model backend, endpoint, model, key and limits."""
