#!/usr/bin/python3
"""leak_check.py MESSAGE [--internal TEXT]... [--net CIDR]... [--pcap yes|no|any]
                 [--pcap-sha256 HEX] [--no-sha256 HEX]

Checks a notification mail meant for a party outside the facility: none of
the internal strings (facility names, protected addresses, home-net
prefixes: given with --internal) appears anywhere -- in the raw message
(headers included), in any decoded part, as ASCII ignoring case or as
UTF-16LE; every evidence capture attached parses as a pcap whose IPv4 and
IPv6 source and destination addresses (of the packet and of a packet
quoted in an ICMP error) are outside every --net; the SHA-256 the text
gives is the SHA-256 of the capture attached (and appears in the IODEF or
STIX document when there is one). --pcap yes/no: a capture must / must not
be attached. --pcap-sha256 HEX: the capture attached has this SHA-256.
--no-sha256 HEX: this hash appears nowhere (the recorded hash of a
capture that was rewritten or withheld). Exit 0 when all hold; prints
what failed."""
import argparse
import email
import email.policy
import hashlib
import ipaddress
import re
import struct
import sys

fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def forms(s):
    b = s.encode()
    return [b.lower(), s.encode("utf-16-le").lower()]


def addresses(frame, linktype):
    """IP source/destination addresses of a frame (and of an ICMP quote)."""
    out = []
    if linktype == 1:
        off, et = 12, None
        while off + 2 <= len(frame):
            et = struct.unpack(">H", frame[off:off + 2])[0]
            if et in (0x8100, 0x88a8):
                off += 4
                continue
            off += 2
            break
        if et not in (0x0800, 0x86dd):
            return None
        ip = frame[off:]
    elif linktype in (101, 12, 14, 228, 229):
        ip = frame
    else:
        return None

    def one(ip, depth):
        if len(ip) < 1:
            return
        v = ip[0] >> 4
        if v == 4 and len(ip) >= 20:
            out.append(ipaddress.ip_address(ip[12:16]))
            out.append(ipaddress.ip_address(ip[16:20]))
            hl = (ip[0] & 15) * 4
            if ip[9] == 1 and depth == 0 and len(ip) >= hl + 8 + 20 and \
                    ip[hl] in (3, 4, 5, 11, 12):
                one(ip[hl + 8:], 1)
        elif v == 6 and len(ip) >= 40:
            out.append(ipaddress.ip_address(ip[8:24]))
            out.append(ipaddress.ip_address(ip[24:40]))
            if ip[6] == 58 and depth == 0 and len(ip) >= 48 + 40 and ip[40] < 128:
                one(ip[48:], 1)
    one(ip, 0)
    return out


def check_pcap(data, nets, name):
    check(len(data) >= 24, f"{name}: too short for a pcap")
    if len(data) < 24:
        return
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    check(magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1",
                    b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"),
          f"{name}: not a pcap (magic {magic.hex()})")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, frames = 24, 0
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        check(len(frame) == caplen and caplen <= wirelen,
              f"{name}: frame {frames + 1} is cut or its lengths are wrong")
        for a in addresses(frame, linktype) or []:
            for n in nets:
                check(a.version != n.version or a not in n,
                      f"{name}: frame {frames + 1} shows internal address {a}")
        off += 16 + caplen
        frames += 1
    check(off == len(data), f"{name}: trailing bytes after the last frame")
    check(frames > 0, f"{name}: no frame")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("message")
    ap.add_argument("--internal", action="append", default=[])
    ap.add_argument("--net", action="append", default=[])
    ap.add_argument("--pcap", choices=["yes", "no", "any"], default="any")
    ap.add_argument("--pcap-sha256")
    ap.add_argument("--no-sha256", action="append", default=[])
    o = ap.parse_args()
    raw = open(o.message, "rb").read()
    nets = [ipaddress.ip_network(n) for n in o.net]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    blobs = [("the raw message", raw)]
    text, docs, pcaps = "", [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        ctype = part.get_content_type()
        name = part.get_filename() or ctype
        blobs.append((name, payload))
        if ctype == "text/plain" and not text:
            text = payload.decode("utf-8", "replace")
        elif ctype in ("application/xml", "application/json"):
            docs.append(payload.decode("utf-8", "replace"))
        elif ctype == "application/vnd.tcpdump.pcap":
            pcaps.append((name, payload))
    for name, b in blobs:
        low = b.lower()
        for s in o.internal:
            for f in forms(s):
                check(f not in low, f"{name} contains internal {s!r}")
        for h in o.no_sha256:
            check(h.lower().encode() not in low, f"{name} names the hash {h}")
    for s in o.internal:  # headers decoded (RFC 2047 words) too
        for k, v in msg.items():
            check(s.lower() not in str(v).lower(),
                  f"header {k} contains internal {s!r}")
    if o.pcap == "yes":
        check(len(pcaps) == 1, f"expected one capture attached, got {len(pcaps)}")
    if o.pcap == "no":
        check(not pcaps, "a capture is attached")
    hashes = set(re.findall(r"SHA-256 ([0-9a-f]{64})", text))
    for name, data in pcaps:
        check_pcap(data, nets, name)
        sha = hashlib.sha256(data).hexdigest()
        check(hashes == {sha},
              f"the text gives SHA-256 {sorted(hashes)}, the attachment is {sha}")
        if o.pcap_sha256:
            check(sha == o.pcap_sha256.lower(),
                  f"attachment SHA-256 {sha}, expected {o.pcap_sha256}")
        for d in docs:
            import base64
            b64 = base64.b64encode(bytes.fromhex(sha)).decode()
            check(sha in d or b64 in d,
                  "the IODEF/STIX document does not name the attached capture's hash")
    for f in fails:
        print("leak_check:", o.message + ":", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
