"""`chalice local` with Nagle's algorithm off.

chalice local's handler writes headers and body separately; with Nagle on,
every keep-alive response waits ~40 ms for a delayed ACK. Behind API Gateway
this does not exist, so the local stack should not pretend it does. A client
that disconnects mid-answer is not logged as a server error.
"""
import sys

from chalice.cli import main as chalice_main
from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

ChaliceRequestHandler.disable_nagle_algorithm = True
_handle_error = ThreadedHTTPServer.handle_error


def _quiet_disconnects(self, request, client_address):
    """A client that went away mid-answer (a runner killed during its long
    poll) is not an error of the server: no traceback in the stack's log."""
    if isinstance(sys.exc_info()[1], ConnectionError):
        return
    _handle_error(self, request, client_address)


ThreadedHTTPServer.handle_error = _quiet_disconnects

if __name__ == "__main__":
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(chalice_main())
