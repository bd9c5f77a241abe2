"""`chalice local` with Nagle's algorithm off.

chalice local's handler writes headers and body separately; with Nagle on,
every keep-alive response waits ~40 ms for a delayed ACK. Behind API Gateway
this does not exist, so the local stack should not pretend it does.
"""
import sys

from chalice.cli import main as chalice_main
from chalice.local import ChaliceRequestHandler

ChaliceRequestHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(chalice_main())
