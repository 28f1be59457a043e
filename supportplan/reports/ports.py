"""Port specifications of security-group rules open to the Internet. Pure.

Connectors describe what 0.0.0.0/0 (or ::/0) may reach as short specs
(`SecurityGroup.open_to_world`); the advice rules read them through `parse_port_spec`, so a
range that covers a sensitive port is flagged as precisely as the port itself.

Grammar (case-insensitive, spaces ignored):

- ``all`` (also ``any``, ``*``, ``-1``): every protocol and every port;
- ``tcp/22``, ``tcp/20-30``, ``udp/8000-9000``, ``tcp/80,443,8000-8080``: ports and ranges
  (0-65535) of one protocol; ``tcp``, ``tcp/all`` or ``tcp/0-65535``: every port of it;
  ``all/22``: port 22 of every protocol;
- ``icmp``, ``icmpv6``, ``gre``...: a protocol without ports (``icmp/8`` too: the number is
  an ICMP type, not a port);
- ``template/<id>``: a rule on a port template (Tencent ``ptm-…`` / ``ppmg-…``) that the
  connector did not resolve: the ports behind it are unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PORT = 65535
EVERYTHING = ("all", "any", "*", "-1")
PORTED = ("tcp", "udp", "all")  # protocols whose rules name ports
_RANGE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_PROTOCOL = re.compile(r"^[a-z][a-z0-9-]*$")


class PortSpecError(ValueError):
    """Not a port spec; the message says what is wrong and what to write instead."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    text: str  # as the source wrote it (stripped)
    kind: str  # all | ports | protocol | template
    protocol: str = ""  # tcp | udp | all (kind ports), icmp... (kind protocol)
    ranges: tuple[tuple[int, int], ...] = ()  # inclusive, kind ports
    template: str = ""  # kind template: the template id

    def covers(self, protocol: str, port: int) -> bool:
        """True when this spec lets the Internet reach `port` over `protocol`."""
        if self.kind == "all":
            return True
        if self.kind != "ports" or self.protocol not in (protocol, "all"):
            return False
        return any(lo <= port <= hi for lo, hi in self.ranges)

    @property
    def single_port(self) -> int | None:
        if (
            self.kind == "ports"
            and len(self.ranges) == 1
            and self.ranges[0][0] == self.ranges[0][1]
        ):
            return self.ranges[0][0]
        return None


HINT = "write e.g. tcp/22, tcp/20-30, udp/8000-9000, all, icmp or template/<id>"


def parse_port_spec(text: str) -> PortSpec:
    raw = str(text).strip()
    t = raw.lower().replace(" ", "")
    if not t:
        raise PortSpecError(f"an empty port spec; {HINT}")
    if t in EVERYTHING or t in ("all/all", "all/0-65535", "all/1-65535"):
        return PortSpec(raw, "all", "all")
    if t.startswith("template/"):
        ident = raw.split("/", 1)[1].strip()
        if not ident:
            raise PortSpecError(f"{raw!r} names no template id; {HINT}")
        return PortSpec(raw, "template", template=ident)
    protocol, _slash, ports = t.partition("/")
    if protocol in ("any", "*", "-1"):
        protocol = "all"
    if not _PROTOCOL.match(protocol):
        raise PortSpecError(f"{raw!r}: {protocol!r} is not a protocol; {HINT}")
    if protocol not in PORTED:
        return PortSpec(raw, "protocol", protocol)
    if ports in ("", "all", "any", "*", "-1"):
        ranges: tuple[tuple[int, int], ...] = ((0, MAX_PORT),)
    else:
        ranges = tuple(_range(raw, part) for part in ports.split(","))
    return PortSpec(raw, "ports", protocol, ranges)


def _range(raw: str, part: str) -> tuple[int, int]:
    m = _RANGE.match(part)
    if not m:
        raise PortSpecError(f"{raw!r}: {part!r} is not a port or a range like 20-30; {HINT}")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if lo > hi or hi > MAX_PORT:
        raise PortSpecError(f"{raw!r}: ports run from 0 to {MAX_PORT}, low end first; {HINT}")
    return lo, hi
