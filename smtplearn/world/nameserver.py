"""The world's DNS server: dnslib answering from a `Zone` over UDP on loopback.

It is authoritative for every name in the zone. Like a real authoritative server it follows
a CNAME to its target inside the zone and puts the whole chain in the answer (RFC 1034
§4.3.2, step 3a), stopping at the first name it has already visited, so a CNAME loop gives a
finite answer the resolver can recognise. A name the zone marks unresponsive gets no reply.
"""

from __future__ import annotations

from typing import Any

from dnslib import CNAME, MX, PTR, QTYPE, RCODE, RR, TXT, A, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

from smtplearn.world.zone import Record, Zone, normalize_name

#: A CNAME chain longer than this is answered as far as this (resolvers give up sooner).
MAX_CHAIN = 16


def _rdata(record: Record) -> Any:
    if record.type == "A":
        return A(record.value)
    if record.type == "MX":
        preference, exchange = record.mx
        return MX(exchange + ".", preference)
    if record.type == "TXT":
        return TXT(list(record.txt_strings))
    if record.type == "CNAME":
        return CNAME(record.value + ".")
    return PTR(record.value + ".")


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: Zone) -> None:
        self.zone = zone

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname)
        qtype = QTYPE[request.q.qtype]
        try:
            name = normalize_name(qname)
        except ValueError:
            reply.header.rcode = RCODE.FORMERR
            return reply
        if self.zone.is_unresponsive(name):
            # dnslib's handler sends nothing when the resolver raises DNSError: a timeout.
            raise DNSError(f"{name} is unresponsive")
        visited: set[str] = set()
        while name not in visited and len(visited) < MAX_CHAIN:
            visited.add(name)
            aliases = self.zone.find(name, "CNAME")
            if aliases and qtype != "CNAME":
                reply.add_answer(RR(name + ".", QTYPE.CNAME, ttl=aliases[0].ttl, rdata=_rdata(aliases[0])))
                name = aliases[0].value
                continue
            for record in self.zone.find(name, qtype):
                reply.add_answer(RR(name + ".", getattr(QTYPE, qtype), ttl=record.ttl, rdata=_rdata(record)))
            if not reply.rr and name not in self.zone.names():
                reply.header.rcode = RCODE.NXDOMAIN
            break
        return reply


class _SilentLogger:
    """dnslib's default logger prints every query; the world records them in the resolver."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


class NameServer:
    """dnslib's DNSServer for a `Zone` on 127.0.0.1 and a free UDP port, in a thread."""

    def __init__(self, zone: Zone, host: str = "127.0.0.1") -> None:
        self.zone = zone
        self._server = DNSServer(_ZoneResolver(zone), address=host, port=0, logger=_SilentLogger())

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> NameServer:
        self._server.start_thread()
        return self

    def stop(self) -> None:
        if self._server.isAlive():
            self._server.stop()
            self._server.server.server_close()

    def __repr__(self) -> str:
        return f"<NameServer at {self.address[0]}:{self.address[1]}, {len(self.zone)} records>"
