"""Which URLs an HTTP feed may fetch, and the one address it connects to.

The rules (docs/feeds.md):

* http and https only; no user:password@ in the URL;
* the host and port must be on the admin-managed allowlist (``feed_allowlist``; port 0
  there means the scheme's default port);
* the host is resolved ONCE, here, and the connection goes to that vetted address (the
  Host header and TLS SNI keep the name): a DNS answer that changes between the check
  and the connection (DNS rebinding) cannot redirect the request;
* loopback, private, link-local, multicast, unspecified, reserved and other non-global
  addresses, and the cloud metadata endpoints (169.254.169.254, fd00:ec2::254), are
  refused unless the allowlist names that exact address (an IP literal): allowlisting a
  *name* never opens an internal address, whatever the name resolves to later;
* every redirect is a new URL and passes all of this again (``http.fetch_http``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from nexus_panel.models.errors import FieldError, ValidationError

DEFAULT_PORTS = {"http": 80, "https": 443}
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"),
                      ipaddress.ip_address("fd00:ec2::254")})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


def refused(url: str, why: str) -> ValidationError:
    return ValidationError([FieldError("url", url, why)])


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, TCP)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError([FieldError("url", host, f"a host name that resolves ({exc})")]
                              ) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (``address``) and what to call it (``host``)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == DEFAULT_PORTS.get(self.scheme) else f"{shown}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def split_host(entry: str) -> tuple[str, int]:
    """``HOST[:PORT]`` (IPv6 in brackets) as an allowlist entry: (host, port or 0)."""
    text = entry.strip()
    parsed = urlsplit(f"//{text}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or parsed.path or parsed.query or parsed.username or \
            not text.isascii() or len(host) > 253:
        raise ValidationError([FieldError("host", entry, "HOST or HOST:PORT (IPv6 in "
                                          "brackets), ASCII")])
    return normal_host(host), port or 0


def normal_host(host: str) -> str:
    return host.lower().rstrip(".")


def special_reason(address: Address) -> str | None:
    """Why ``address`` is not a public internet address, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        (address in METADATA, "a cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a global address"),
    )
    return next((why for hit, why in checks if hit), None)


def vet(url: str, allowlist: Iterable[tuple[str, int]],
        resolve: Resolver | None = system_resolver,
        ports: Mapping[str, int] = DEFAULT_PORTS) -> Target:
    """``url`` checked against every rule, resolved once; else a ValidationError on
    ``url`` saying which rule refused it. ``resolve`` None: the checks that need no DNS
    (when a feed is defined; the fetch checks everything again). ``ports``: the schemes
    allowed and their default ports (the live sources pass ``mqtt``/``redis``)."""
    if not isinstance(url, str) or len(url) > 4000 or not url.isascii() or \
            not url.isprintable():
        raise refused(str(url)[:200], "an ASCII http(s) URL of at most 4000 characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ports:
        names = " or ".join(f"{k}://" for k in ports)
        raise refused(url, f"an {names} URL" if ports is DEFAULT_PORTS
                      else f"a URL of scheme {names}")
    try:
        port = parts.port or ports[scheme]
    except ValueError:
        raise refused(url, "a URL with a port in 1..65535") from None
    if parts.username is not None or parts.password is not None:
        raise refused(url, "a URL without user:password@ (name an API key variable)")
    if not parts.hostname:
        raise refused(url, "a URL with a host")
    host = normal_host(parts.hostname)
    entries = {(normal_host(h), p) for h, p in allowlist}
    if (host, port) not in entries and not (port == ports[scheme]
                                            and (host, 0) in entries):
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise refused(url, f"a host on the feed allowlist, which does not hold {shown} "
                      "(an admin adds it: nexus-panel feeds allow HOST[:PORT])")
    literal = _literal(host)
    if literal is None and resolve is None:
        return Target(url=url, scheme=scheme, host=host, port=port, address="")
    addresses = [literal] if literal is not None else [
        ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]  # type: ignore[misc]
    if not addresses:
        raise refused(url, "a host name that resolves")
    for address in addresses:
        why = special_reason(address)
        if why is not None and address != literal:
            raise refused(url, f"a public address: {host} resolves to {address}, {why} "
                          "(allowed only when the allowlist names that address itself)")
    return Target(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
