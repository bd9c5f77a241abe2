"""The outbound-address guard for every HTTP request made on a user's behalf
(agent tools and actions).

An address is reached only when it is global: Python's `ipaddress`
`is_global`, and not in one of the special-purpose ranges below (IANA's
registries; older Pythons call multicast, site-local and 6to4 global, so the
table, not the interpreter, decides those). An IPv6 address that carries an
IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) is unwrapped and the IPv4
address inside decides too: a wrapped private or metadata address is refused.

The caller's `Outbound` policy opens some internal ranges: loopback
(ALLOW_LOOPBACK: the local stack, tests), private networks (ALLOW_PRIVATE_NETWORKS:
RFC 1918, carrier-grade NAT, unique local; runners) and any ranges it lists
(ALLOW_NETWORKS). Link-local (169.254.169.254, the cloud metadata address),
the other metadata addresses, "this network", multicast and broadcast are
refused whatever is allowed.

`decide(ip, policy)` is the whole decision, with no DNS; `check_url` resolves
a URL and decides on every address it resolves to, and the request is sent to
the checked address (not re-resolved) so DNS rebinding cannot slip past.
"""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from sre_agent.settings import Outbound

GLOBAL, LOOPBACK, PRIVATE, INTERNAL, NEVER = "global", "loopback", "private", "internal", "never"


def _nets(kind: str, name: str, *cidrs: str) -> list[tuple]:
    return [(ipaddress.ip_network(cidr), name, kind) for cidr in cidrs]


# The first range that holds an address names it, so the narrow ones come first.
_RANGES = [
    *_nets(NEVER, "link-local cloud metadata", "169.254.169.254/32"),
    *_nets(NEVER, "cloud metadata", "100.100.100.200/32", "fd00:ec2::254/128"),
    *_nets(NEVER, "link-local", "169.254.0.0/16", "fe80::/10"),
    *_nets(NEVER, "this network", "0.0.0.0/8"),  # 0.0.0.0 reaches this host
    *_nets(NEVER, "unspecified", "::/128"),
    *_nets(NEVER, "multicast", "224.0.0.0/4", "ff00::/8"),
    *_nets(NEVER, "broadcast", "255.255.255.255/32"),
    *_nets(LOOPBACK, "loopback", "127.0.0.0/8", "::1/128"),
    *_nets(PRIVATE, "private network", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    *_nets(PRIVATE, "carrier-grade NAT", "100.64.0.0/10"),
    *_nets(PRIVATE, "unique local", "fc00::/7"),
    *_nets(INTERNAL, "documentation", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
           "3fff::/20"),
    *_nets(INTERNAL, "benchmarking", "198.18.0.0/15", "2001:2::/48"),
    *_nets(INTERNAL, "IETF protocol assignments", "192.0.0.0/24"),
    *_nets(INTERNAL, "reserved", "240.0.0.0/4"),
    *_nets(INTERNAL, "site-local (deprecated)", "fec0::/10"),
    *_nets(INTERNAL, "discard-only", "100::/64"),
    *_nets(INTERNAL, "Teredo", "2001::/32"),
    *_nets(INTERNAL, "IETF protocol assignments", "2001::/23"),
    *_nets(INTERNAL, "6to4", "2002::/16"),
    *_nets(INTERNAL, "local-use NAT64", "64:ff9b:1::/48"),
]
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class BlockedAddress(Exception):
    """The URL points at an address outbound requests may not reach."""


class UnresolvedHost(BlockedAddress):
    """The host name did not resolve; `temporary` when DNS said to try again."""

    def __init__(self, message: str, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class Decision:
    """Whether outbound HTTP may reach an address under a policy. `kind` is
    global, loopback, private, internal or never (refused whatever is
    allowed); `what` names the address's range for a message."""
    allowed: bool
    kind: str
    what: str


def classify(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[str, str]:
    """(kind, name) of one address as it stands (nothing unwrapped)."""
    for net, name, kind in _RANGES:
        if ip.version == net.version and ip in net:
            return kind, name
    if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
        return INTERNAL, "reserved"
    if not ip.is_global:
        return INTERNAL, "not globally reachable"
    return GLOBAL, "global"


def _plain(ip, policy: Outbound) -> Decision:
    kind, name = classify(ip)
    if kind == NEVER:
        return Decision(False, kind, name)
    if kind == GLOBAL or any(ip.version == net.version and ip in net for net in policy.allow_networks):
        return Decision(True, kind, name)
    allowed = {LOOPBACK: policy.allow_loopback, PRIVATE: policy.allow_private_networks}.get(kind, False)
    return Decision(allowed, kind, name)


def embedded(ip) -> tuple[str, ipaddress.IPv4Address, bool] | None:
    """The IPv4 address an IPv6 address carries: (how, address, transparent),
    or None. `transparent` when only the inner address matters (IPv4-mapped
    is that address on the wire; the well-known NAT64 prefix is global and
    translates to it); 6to4, Teredo and local-use NAT64 are ranges of their own
    that must be allowed too. Local-use NAT64 is read as a /96 prefix."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped:
        return "an IPv4-mapped address", ip.ipv4_mapped, True
    if ip in _NAT64:
        return "a NAT64 address", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip in _NAT64_LOCAL:
        return "a local-use NAT64 address", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), False
    if ip.sixtofour:
        return "a 6to4 address", ip.sixtofour, False
    if ip.teredo:
        return "a Teredo address", ip.teredo[1], False  # the client's address (stored inverted), where the packets go
    return None


def decide(ip, policy: Outbound) -> Decision:
    """May outbound HTTP reach `ip` (an address or its text) under `policy`?
    A pure function: no DNS, no sockets."""
    ip = ipaddress.ip_address(ip)
    inner = embedded(ip)
    if inner is None:
        return _plain(ip, policy)
    how, v4, transparent = inner
    within = _plain(v4, policy)
    what = f"{how} wrapping {v4}" + ("" if within.kind == GLOBAL else f", {within.what}")
    if not within.allowed or transparent:
        return Decision(within.allowed, within.kind, what)
    outer = _plain(ip, policy)  # 6to4, Teredo, local-use NAT64: the wrapping range must be allowed too
    return Decision(outer.allowed, within.kind if outer.allowed else outer.kind, what)


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
    addresses = sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)
    for ip in addresses:  # every answer: a name with one internal address among global ones is refused
        decision = decide(ip, policy)
        if not decision.allowed:
            raise BlockedAddress(f"{parts.hostname} resolves to {ip}, an internal address ({decision.what}); refused")
    return parts.hostname, port, str(addresses[0])
