"""The local stack: the whole service on a laptop, on an in-memory AWS (moto)."""
