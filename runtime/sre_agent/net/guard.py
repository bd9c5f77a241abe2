"""The internal-address guard for every outbound HTTP request made on a user's
behalf (agent tools and actions).

A URL is refused when its host resolves to a private, loopback, link-local
(the cloud metadata address 169.254.169.254 above all), multicast, reserved or
unspecified address. Loopback and private ranges can be allowed by the
caller's `Outbound` policy for the local stack, tests and self-hosted runners
(ALLOW_LOOPBACK, ALLOW_PRIVATE_NETWORKS, or only some ranges with
ALLOW_NETWORKS); link-local never. Every resolved address is checked, and the request is
sent to the checked address (not re-resolved) so DNS rebinding cannot slip past.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from sre_agent.settings import Outbound


class BlockedAddress(Exception):
    """The URL points at an address outbound requests may not reach."""


class UnresolvedHost(BlockedAddress):
    """The host name did not resolve; `temporary` when DNS said to try again."""

    def __init__(self, message: str, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


def _allowed(ip: ipaddress._BaseAddress, policy: Outbound) -> bool:
    if ip.is_link_local:
        return False  # the cloud metadata address, whatever else is allowed
    if any(ip.version == net.version and ip in net for net in policy.allow_networks):
        return True
    if ip.is_loopback:
        return policy.allow_loopback
    if ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    if ip.is_private:
        return policy.allow_private_networks
    return True


def check_url(url: str, policy: Outbound) -> tuple[str, int, str]:
    """Validate an http(s) URL and resolve it: returns (host, port, checked ip).

    Raises BlockedAddress with a reason a user can read.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"only http(s) URLs with a host are allowed: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvedHost(f"cannot resolve {parts.hostname}: {exc.strerror}", exc.errno == socket.EAI_AGAIN) from exc
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    for ip in addresses:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not _allowed(ip, policy):
            raise BlockedAddress(f"{parts.hostname} resolves to {ip}, an internal address; refused")
    return parts.hostname, port, str(sorted(addresses, key=str)[0])
