"""Network addresses as Waymark stores them: truncated, so a stored address names no one."""

from __future__ import annotations

import ipaddress


def truncate_ip(value) -> str:
    """Return the address with its last IPv4 octet or last 80 IPv6 bits zeroed; "" when not an address."""
    if not isinstance(value, str):
        return ""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
