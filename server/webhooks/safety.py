"""Where webhooks may go: never, unless STUDIO_WEBHOOK_ALLOW says so, to this machine, its
private network or the cloud's metadata address - a webhook URL is a request Studio makes on a
user's behalf from inside that network. Checked at submit and again before each attempt, since
a name may resolve elsewhere by then."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a refused address is, in the order checked: the first that applies names it.
_KINDS = (
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
)


class Allowed:
    """STUDIO_WEBHOOK_ALLOW: host names and address ranges webhooks may go to although refused."""

    def __init__(self, entries: list[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry.lower().rstrip("."))

    def admits(self, ip: Address) -> bool:
        return any(ip in network for network in self.networks)


async def refusal(url: str, allowed: Allowed) -> str | None:
    """Why a webhook may not go to `url` (a sentence saying how to allow it), or None."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        host = ""
    if not host or parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http:// or https:// URL with a host."
    if host in allowed.names:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        return f"The host {host} does not resolve to an address ({getattr(exc, 'strerror', None) or exc}); check the URL."
    for *_, address in found:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        ip = ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip
        kind = next((name for name, applies in _KINDS if applies(ip)), None)
        if kind is not None and not allowed.admits(ip):
            shown = host if host == str(ip) else f"{host} ({ip})"
            return (
                f"Studio does not send webhooks to {shown}, a {kind} address; an admin may allow it with "
                f"STUDIO_WEBHOOK_ALLOW={ip if host == str(ip) else host}."
            )
    return None
