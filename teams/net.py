"""Network addresses as Waymark stores them: truncated, so a stored address names no one."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def truncate_ip(value) -> str:
    """Return the address with its last IPv4 octet or last 80 IPv6 bits zeroed; "" when not an address."""
    if not isinstance(value, str):
        return ""
    return _truncate_ip(value)


@lru_cache(maxsize=4096)
def _truncate_ip(value: str) -> str:
    # Every event of a browser carries its address: cached, and a dotted IPv4 address without the
    # ipaddress module (ten times slower), which the other forms still go through.
    dotted = _IPV4.fullmatch(value.strip())
    if dotted is not None:
        return f"{dotted.group(1)}.{dotted.group(2)}.{dotted.group(3)}.0"
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
