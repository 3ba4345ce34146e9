"""The visitor's IP address, the one place that decides it (rate limits, login throttling).

Behind a reverse proxy REMOTE_ADDR is the proxy; the proxy appends the address it saw to
X-Forwarded-For. Anyone can send that header, so it is believed only when REMOTE_ADDR is one of
settings.TRUSTED_PROXIES (env TRUSTED_PROXIES: addresses and CIDR networks, default none). The header
is read from the right: each trusted hop is skipped, the first address that is not a trusted proxy is
the client. Whatever the client wrote further left is never looked at.

Malformed entries (not an IP address) end the walk: the address is then the last trusted hop (the
proxy), so a broken header can only put the request into the proxy's bucket, never into one of the
client's choosing. Addresses are normalised (IPv6 compressed and lower-case, IPv4-mapped IPv6 as IPv4,
an optional port or brackets removed), so one client is one key however it is written.

rate_limit_subject() groups IPv6 clients by /64: one subscriber usually holds a whole /64, and limits
per single IPv6 address would be trivial to walk around.
"""

import functools
import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(value: str) -> IPAddress | None:
    """An IP address from REMOTE_ADDR or one X-Forwarded-For entry, or None when it is not one."""
    value = (value or "").strip()
    if value.startswith("["):  # [2001:db8::1] or [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


@functools.lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The client's address as text ("" only when REMOTE_ADDR itself is missing or malformed)."""
    nearest = parse_address(request.META.get("REMOTE_ADDR", ""))
    if nearest is None:
        return ""
    if _trusted(nearest):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            hop = parse_address(entry)
            if hop is None:
                break
            nearest = hop
            if not _trusted(hop):
                break
    return str(nearest)


def rate_limit_subject(request) -> str:
    """What a per-address limit counts: the client's IPv4 address or its IPv6 /64."""
    address = parse_address(client_ip(request))
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address) if address else ""
