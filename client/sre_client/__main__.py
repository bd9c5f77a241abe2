"""`python -m sre_client …` is the same as `sre …`."""
from sre_client.cli import main

main()
