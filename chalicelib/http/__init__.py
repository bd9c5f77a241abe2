"""HTTP edge helpers: request bodies, base URLs, the OpenAPI document."""
