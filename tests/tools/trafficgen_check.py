#!/usr/bin/env python3
"""trafficgen_check.py -- checks a pcap written by trafficgen against its
ground-truth file, without tshark or scapy: the pcap is parsed by hand.

Checks: pcap header and link type; timestamps never decrease; every IPv4
header checksum and every TCP/UDP/ICMP/ICMPv6 checksum (UDP fragments are
reassembled first); the truth file's header (seed, packet count) and that
each row lies inside the capture's time span; and for each row, that the
attack is visible in the packets (protocol facts per kind, see check_*).

usage: trafficgen_check.py CAPTURE.pcap TRUTH.tsv [--summary] [--quick]
                            [--expect KIND...]
--quick checks only timestamps, the truth header and the rows' time spans
(fast enough for the demo's half a million packets).
Exit 0 when everything holds, 1 with one line per problem otherwise.
Also usable as a module (tests/tools/trafficgen_test.py imports it).
"""
import collections
import ipaddress
import struct
import sys

LINK_ETHER, LINK_NULL, LINK_RAW, LINK_SLL, LINK_SLL2 = 1, 0, 101, 113, 276
SNAPLEN = 262144
INCOMPLETE = []  # first packets of fragment trains seen incomplete


class Pkt:
    __slots__ = ("n", "ts", "wire", "ver", "src", "dst", "proto", "sport",
                 "dport", "flags", "seq", "ack", "payload", "frag", "mf",
                 "frag_off", "ip_id", "icmp_type", "icmp_code", "l3len",
                 "trunc", "ttl", "caplen")

    def __init__(self):
        self.sport = self.dport = None
        self.flags = 0
        self.payload = b""
        self.frag = False
        self.mf = False
        self.frag_off = 0
        self.icmp_type = None
        self.trunc = False
        self.ttl = 0


def csum(data, init=0):
    if len(data) % 2:
        data += b"\0"
    s = init + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo(p, proto, length):
    if p.ver == 4:
        return csum(p.src.packed + p.dst.packed + struct.pack("!BBH", 0, proto,
                                                              length))
    return csum(p.src.packed + p.dst.packed + struct.pack("!IxxxB", length,
                                                          proto))


def read_pcap(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        raise ValueError("short pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError("not a pcap file")
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    global SNAPLEN
    SNAPLEN = struct.unpack(e + "I", data[16:20])[0]
    off = 24
    frames = []
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        frames.append((sec * 10**9 + (frac if nano else frac * 1000),
                       data[off:off + caplen], wirelen, caplen))
        off += caplen
    return linktype, nano, e, frames


def decode(linktype, e, frame, problems, n):
    """Returns (ip bytes, vlan ids) or (None, ...) for non-IP frames."""
    vlans = []
    if linktype == LINK_ETHER:
        off, et = 12, struct.unpack("!H", frame[12:14])[0]
        while et in (0x8100, 0x88A8, 0x9100):
            vlans.append(struct.unpack("!H", frame[off + 2:off + 4])[0] & 0xFFF)
            off += 4
            et = struct.unpack("!H", frame[off:off + 2])[0]
        return (frame[off + 2:] if et in (0x0800, 0x86DD) else None), vlans
    if linktype == LINK_SLL:
        et = struct.unpack("!H", frame[14:16])[0]
        return (frame[16:] if et in (0x0800, 0x86DD) else None), vlans
    if linktype == LINK_SLL2:
        et = struct.unpack("!H", frame[0:2])[0]
        return (frame[20:] if et in (0x0800, 0x86DD) else None), vlans
    if linktype == LINK_NULL:
        af = struct.unpack(e + "I", frame[:4])[0]
        if af not in (2, 10, 24, 28, 30):
            problems.append("frame %d: null link family %d" % (n, af))
        return frame[4:], vlans
    if linktype in (LINK_RAW, 12, 14):
        return frame, vlans
    problems.append("unsupported link type %d" % linktype)
    return None, vlans


def parse_ip(ip, n, ts, problems, trunc=False):
    p = Pkt()
    p.n, p.ts = n, ts
    p.trunc = trunc
    v = ip[0] >> 4
    p.ver = v
    if v == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        p.ttl = ip[8]
        if csum(ip[:ihl]) != 0xFFFF:
            problems.append("frame %d: bad IPv4 header checksum" % n)
        p.ip_id = struct.unpack("!H", ip[4:6])[0]
        fo = struct.unpack("!H", ip[6:8])[0]
        p.mf = bool(fo & 0x2000)
        p.frag_off = (fo & 0x1FFF) * 8
        p.frag = p.mf or p.frag_off > 0
        p.proto = ip[9]
        p.src = ipaddress.IPv4Address(ip[12:16])
        p.dst = ipaddress.IPv4Address(ip[16:20])
        l4 = ip[ihl:tot]
        p.l3len = tot
    elif v == 6:
        plen = struct.unpack("!H", ip[4:6])[0]
        nh = ip[6]
        p.ttl = ip[7]
        p.src = ipaddress.IPv6Address(ip[8:24])
        p.dst = ipaddress.IPv6Address(ip[24:40])
        l4 = ip[40:40 + plen]
        p.l3len = 40 + plen
        p.ip_id = 0
        if nh == 44:
            fo = struct.unpack("!H", l4[2:4])[0]
            p.frag_off = fo & 0xFFF8
            p.mf = bool(fo & 1)
            p.frag = True
            p.ip_id = struct.unpack("!I", l4[4:8])[0]
            nh = l4[0]
            l4 = l4[8:]
        p.proto = nh
    else:
        problems.append("frame %d: IP version %d" % (n, v))
        return None
    p.payload = l4
    if p.frag:
        return p
    return parse_l4(p, l4, n, problems, check=not trunc)


def parse_l4(p, l4, n, problems, check=True):
    if p.proto in (6, 17) and len(l4) < (20 if p.proto == 6 else 8):
        if check:
            problems.append("frame %d: short transport header" % n)
        return p
    if p.proto == 6:
        p.sport, p.dport, p.seq, p.ack = struct.unpack("!HHII", l4[:12])
        doff = (l4[12] >> 4) * 4
        p.flags = l4[13]
        if check and csum(l4, pseudo(p, 6, len(l4))) != 0xFFFF:
            problems.append("frame %d: bad TCP checksum" % n)
        p.payload = l4[doff:]
    elif p.proto == 17:
        p.sport, p.dport, ulen = struct.unpack("!HHH", l4[:6])
        if check and ulen != len(l4):
            problems.append("frame %d: UDP length %d != %d" % (n, ulen, len(l4)))
        if check and l4[6:8] != b"\0\0" and \
                csum(l4, pseudo(p, 17, len(l4))) != 0xFFFF:
            problems.append("frame %d: bad UDP checksum" % n)
        p.payload = l4[8:]
    elif p.proto in (1, 58):
        p.icmp_type, p.icmp_code = l4[0], l4[1]
        init = pseudo(p, 58, len(l4)) if p.proto == 58 else 0
        if check and csum(l4, init) != 0xFFFF:
            problems.append("frame %d: bad ICMP checksum" % n)
        p.payload = l4[8:]
    return p


def load(path, problems):
    linktype, nano, e, frames = read_pcap(path)
    pkts = []
    frags = collections.defaultdict(list)
    last = 0
    for i, (ts, frame, wire, cap) in enumerate(frames, 1):
        if ts < last:
            problems.append("frame %d: timestamp goes back" % i)
        last = ts
        trunc = cap != wire
        if trunc and (cap != SNAPLEN or cap > wire):
            problems.append("frame %d: truncated (caplen %d < %d) without "
                            "a snapshot length" % (i, cap, wire))
        ip, _ = decode(linktype, e, frame, problems, i)
        if ip is None:
            continue
        p = parse_ip(ip, i, ts, problems, trunc)
        if p is None:
            continue
        p.caplen = cap
        p.wire = wire
        pkts.append(p)
        if p.frag:
            key = (p.ver, p.src, p.dst, p.proto, p.ip_id)
            frags[key].append(p)
    # reassemble fragmented datagrams and verify their checksums; trains
    # without their first fragment are kept for fragments-only attacks
    global INCOMPLETE
    INCOMPLETE = []
    for key, parts in frags.items():
        parts.sort(key=lambda q: q.frag_off)
        if parts[0].frag_off != 0 or parts[-1].mf:
            INCOMPLETE.append(parts[0])
            continue
        data = b"".join(q.payload for q in parts)
        first = parts[0]
        parse_l4(first, data, first.n, problems)
        first.frag = True
    return linktype, nano, pkts


def read_truth(path, problems):
    header, rows = {}, []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                if ln == 1 or (ln == 2 and "profile=" in line):
                    for tok in line[1:].split():
                        if "=" in tok:
                            k, v = tok.split("=", 1)
                            header[k] = v
                continue
            cols = line.split("\t")
            if len(cols) != 7:
                problems.append("truth line %d: %d columns" % (ln, len(cols)))
                continue
            start, end, kind, det, atk, tgt, detail = cols
            d = dict(kv.split("=", 1) for kv in detail.split(";") if "=" in kv)
            rows.append(dict(start=int(start), end=int(end), kind=kind,
                             detector=det, attacker=atk, target=tgt, detail=d,
                             line=ln))
    return header, rows


# ---- TCP streams and SMB ------------------------------------------------

def streams(pkts, port):
    """(client, cport, server) -> {"c2s": bytes, "s2c": bytes, first/last}"""
    conns = {}
    for p in pkts:
        if p.proto != 6 or p.sport is None or port not in (p.sport, p.dport):
            continue
        if p.dport == port:
            key, d = (p.src, p.sport, p.dst), "c2s"
        else:
            key, d = (p.dst, p.dport, p.src), "s2c"
        c = conns.setdefault(key, {"c2s": [], "s2c": [], "syn": False,
                                   "synack": False, "rst": False,
                                   "first": p.ts, "last": p.ts})
        c["last"] = p.ts
        if p.flags & 0x02 and not p.flags & 0x10:
            c["syn"] = True
        if p.flags & 0x12 == 0x12:
            c["synack"] = True
        if p.flags & 0x04 and d == "s2c":
            c["rst"] = True
        if p.payload:
            c[d].append((p.seq, p.payload, p.ts))
    for c in conns.values():
        for d in ("c2s", "s2c"):
            segs = sorted(c[d], key=lambda x: x[2])
            c[d] = b"".join(s[1] for s in segs)
            ends, off = [], 0
            for sg in segs:
                off += len(sg[1])
                ends.append(off)
            c[d + "_ends"] = ends
    return conns


def segment_of(c, d, off):
    """Index of the TCP segment that carries stream byte off."""
    ends = c[d + "_ends"]
    lo, hi = 0, len(ends)
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid] <= off:
            lo = mid + 1
        else:
            hi = mid
    return lo


def nb_messages_at(data):
    """(message, netbios length, start offset, end offset) of a stream."""
    off = 0
    while off + 4 <= len(data):
        ln = struct.unpack("!I", data[off:off + 4])[0] & 0xFFFFFF
        yield data[off + 4:off + 4 + ln], ln, off, off + 4 + ln
        off += 4 + ln


def nb_messages(data):
    off = 0
    while off + 4 <= len(data):
        ln = struct.unpack("!I", data[off:off + 4])[0] & 0xFFFFFF
        yield data[off + 4:off + 4 + ln], ln
        off += 4 + ln


def smb1(msg):
    if len(msg) < 33 or msg[:4] != b"\xffSMB":
        return None
    cmd = msg[4]
    status = struct.unpack("<I", msg[5:9])[0]
    flags = msg[9]
    sig = msg[14:22]
    tid, pid, uid, mid = struct.unpack("<HHHH", msg[24:32])
    wc = msg[32]
    words = msg[33:33 + 2 * wc]
    return dict(cmd=cmd, status=status, reply=bool(flags & 0x80), sig=sig,
                tid=tid, uid=uid, mid=mid, wc=wc, words=words, raw=msg)


def smb_between(pkts, a, b):
    out = []
    for key, c in streams(pkts, 445).items():
        if str(key[0]) == a and str(key[2]) == b:
            out.append(c)
    return out


def check_ms17010(row, pkts, problems):
    variant = row["detail"].get("variant", "eternalblue")
    if variant != "eternalblue":
        return check_eternal(row, pkts, problems, variant)
    conns = smb_between(pkts, row["attacker"], row["target"])
    nt = sec = groom = vuln_resp = 0
    nt_mid = None
    for c in conns:
        for msg, ln in nb_messages(c["c2s"]):
            if ln == 0xFFF7 and msg[:4] == b"\xfeSMB":
                groom += 1
            h = smb1(msg)
            if not h:
                continue
            if h["cmd"] == 0xA0 and h["wc"] >= 19:
                total_data = struct.unpack("<I", h["words"][7:11])[0]
                data_count = struct.unpack("<I", h["words"][27:31])[0]
                if total_data > data_count:
                    nt += 1
                    nt_mid = h["mid"]
            if h["cmd"] == 0x33 and h["mid"] == nt_mid:
                sec += 1
        for msg, ln in nb_messages(c["s2c"]):
            h = smb1(msg)
            if h and h["reply"] and h["cmd"] == 0x32 and \
                    h["status"] == 0xC000000D:
                vuln_resp += 1
    want = int(row["detail"].get("attempts", "1"))
    if nt < want:
        problems.append("line %d: ms17-010: %d NT_TRANSACT with short data, "
                        "want %d" % (row["line"], nt, want))
    if sec < 10 * want:
        problems.append("line %d: ms17-010: %d TRANS2_SECONDARY on the "
                        "NT_TRANSACT's MID" % (row["line"], sec))
    if groom < 1:
        problems.append("line %d: ms17-010: no grooming message" % row["line"])
    vulnerable = row["detail"].get("outcome") == "vulnerable"
    if vulnerable and vuln_resp < want:
        problems.append("line %d: ms17-010: %d TRANS2 STATUS_INVALID_PARAMETER"
                        " answers, want %d" % (row["line"], vuln_resp, want))
    if not vulnerable and vuln_resp:
        problems.append("line %d: ms17-010: patched target answered "
                        "INVALID_PARAMETER" % row["line"])
    return "nt_transact=%d secondaries=%d grooming=%d invalid_param=%d" % (
        nt, sec, groom, vuln_resp)


def check_doublepulsar(row, pkts, problems):
    conns = smb_between(pkts, row["attacker"], row["target"])
    pings, implant, probe = 0, 0, 0
    for c in conns:
        reqs = {}
        for msg, _ in nb_messages(c["c2s"]):
            h = smb1(msg)
            if h and h["cmd"] == 0x32 and h["wc"] == 15 and \
                    struct.unpack("<H", h["words"][28:30])[0] == 0x000E:
                timeout = h["words"][12:16]
                if sum(timeout) & 0xFF == 0x23:
                    pings += 1
                    reqs[h["mid"]] = True
        for msg, _ in nb_messages(c["s2c"]):
            h = smb1(msg)
            if not h or h["cmd"] != 0x32 or h["status"] != 0xC0000002:
                continue
            if (h["mid"] - 16) in reqs and h["sig"] != b"\0" * 8:
                implant += 1
            elif h["mid"] in reqs:
                probe += 1
    if pings < 1:
        problems.append("line %d: doublepulsar: no ping" % row["line"])
    want = row["detail"].get("implant") == "1"
    if want and implant < 1:
        problems.append("line %d: doublepulsar: no implant answer (MID+16)" %
                        row["line"])
    if not want and implant:
        problems.append("line %d: doublepulsar: implant answer without "
                        "implant" % row["line"])
    return "pings=%d implant_answers=%d probe_answers=%d" % (pings, implant,
                                                             probe)


def in_span(row, p):
    return row["start"] <= p.ts <= row["end"]


def check_worm(row, pkts, problems):
    targets, answered = set(), set()
    for p in pkts:
        if p.proto != 6 or not in_span(row, p):
            continue
        if str(p.src) == row["attacker"] and p.dport == 445 and \
                p.flags & 0x12 == 0x02:
            targets.add(str(p.dst))
        if str(p.dst) == row["attacker"] and p.sport == 445 and \
                p.flags & 0x12 == 0x12:
            answered.add(str(p.src))
    want = int(row["detail"].get("targets", "1"))
    if len(targets) < min(want, 20):
        problems.append("line %d: smb-worm: %d distinct 445 targets" %
                        (row["line"], len(targets)))
    return "targets=%d answered=%d" % (len(targets), len(answered))


def rate_of(row, n):
    span = max(row["end"] - row["start"], 1) / 1e9
    return n / span


def check_synflood(row, pkts, problems):
    port = int(row["detail"]["port"])
    syn, srcs, synack = 0, set(), 0
    for p in pkts:
        if p.proto != 6 or not in_span(row, p):
            continue
        if str(p.dst) == row["target"] and p.dport == port and \
                p.flags & 0x12 == 0x02:
            syn += 1
            srcs.add(p.src)
        if str(p.src) == row["target"] and p.sport == port and \
                p.flags & 0x12 == 0x12:
            synack += 1
    r = rate_of(row, syn)
    if r < 0.5 * float(row["detail"]["rate"]):
        problems.append("line %d: syn-flood: %.0f SYN/s" % (row["line"], r))
    if row["detail"].get("spoofed") == "1" and len(srcs) < min(syn, 1000) / 2:
        problems.append("line %d: syn-flood: only %d sources" % (row["line"],
                                                                  len(srcs)))
    if (row["detail"].get("answer") == "1") != (synack > 0):
        problems.append("line %d: syn-flood: %d SYN-ACKs" % (row["line"],
                                                             synack))
    return "syn=%d sources=%d synack=%d syn_per_s=%.0f" % (syn, len(srcs),
                                                          synack, r)


def check_amplification(row, pkts, problems):
    proto, port = row["detail"]["proto"], int(row["detail"]["port"])
    n, srcs, nonfirst, byts = 0, set(), 0, 0
    for p in pkts:
        if str(p.dst) != row["target"] or not in_span(row, p):
            continue
        if proto == "synack":
            if p.proto == 6 and p.flags & 0x12 == 0x12 and p.sport in (80, 443):
                n += 1
                srcs.add(p.src)
            continue
        if p.proto == 17 and p.frag and p.frag_off > 0:
            nonfirst += 1
            byts += p.l3len
        elif p.proto == 17 and p.sport == port:
            n += 1
            srcs.add(p.src)
            byts += p.l3len
    if n == 0 and row["detail"].get("fragments_only") != "1":
        problems.append("line %d: amplification: no answers" % row["line"])
    if len(srcs) < min(n, int(row["detail"]["reflectors"])) / 4:
        problems.append("line %d: amplification: %d reflectors" %
                        (row["line"], len(srcs)))
    if proto in ("dns", "cldap") and nonfirst == 0:
        problems.append("line %d: amplification: no non-first fragments" %
                        row["line"])
    if row["detail"].get("fragments_only") == "1":
        first = float(row["detail"].get("first", "0"))
        if nonfirst == 0 or (first == 0 and n > 0):
            problems.append("line %d: amplification fragments-only: %d "
                            "answers with ports, %d non-first fragments" %
                            (row["line"], n, nonfirst))
    sigs = {"isakmp-natt": lambda b: b[:4] == b"\0\0\0\0" and b[21] == 0x20,
            "bacnet": lambda b: b[:2] == b"\x81\x0a",
            "coap": lambda b: b[0] >> 6 == 1 and b[1] == 0x45,
            "tftp": lambda b: b[:2] == b"\0\x03",
            "rdp": lambda b: len(b) == 1232 and b[6:8] == b"\0\x05",
            "dtls": lambda b: b[0] == 22 and b[1:3] == b"\xfe\xfd",
            "slp": lambda b: b[:2] == b"\x02\x02",
            "mdns": lambda b: b[2] & 0x80 != 0,
            "openvpn": lambda b: b[0] >> 3 == 8}
    sig = sigs.get(proto)
    if sig and row["detail"].get("fragments_only") != "1":
        for p in pkts:
            if p.proto == 17 and p.sport == port and str(p.dst) == \
                    row["target"] and in_span(row, p) and \
                    not (p.payload and sig(p.payload)):
                problems.append("frame %d: %s answer not in its format" %
                                (p.n, proto))
                break
    span = max(row["end"] - row["start"], 1) / 1e9
    return "answers=%d reflectors=%d nonfirst_fragments=%d mbit_s=%.1f" % (
        n, len(srcs), nonfirst, byts * 8 / span / 1e6)


def check_volumetric(row, pkts, problems):
    want = {"udp": (17,), "icmp": (1, 58), "tcp-ack": (6,), "gre": (47,)}[
        row["detail"]["proto"]]
    n = 0
    for p in pkts:
        if str(p.dst) == row["target"] and p.proto in want and in_span(row, p):
            n += 1
    r = rate_of(row, n)
    if r < 0.5 * float(row["detail"]["rate"]):
        problems.append("line %d: volumetric: %.0f pkts/s" % (row["line"], r))
    return "packets=%d pkts_per_s=%.0f" % (n, r)


def check_scan(row, pkts, problems, vertical):
    udp = row["detail"].get("type") == "udp"
    proto = 17 if udp else 6
    ports, hosts, answers = set(), set(), 0
    for p in pkts:
        if not in_span(row, p):
            continue
        if str(p.src) == row["attacker"] and p.proto == proto and \
                p.dport is not None and (udp or not p.flags & 0x10):
            if vertical and str(p.dst) == row["target"]:
                ports.add(p.dport)
            if not vertical:
                hosts.add(str(p.dst))
                ports.add(p.dport)
        if str(p.dst) == row["attacker"] and (p.proto in (1, 58) or
                                              (p.proto == 6 and p.flags & 4)):
            answers += 1
    if vertical:
        want = int(row["detail"]["ports"])
        if len(ports) < want:
            problems.append("line %d: scan-vertical: %d ports" % (row["line"],
                                                                  len(ports)))
        return "ports=%d rst_or_unreachable=%d" % (len(ports), answers)
    want = int(row["detail"]["hosts"])
    if len(hosts) < want or len(ports) != 1:
        problems.append("line %d: scan-horizontal: %d hosts, %d ports" %
                        (row["line"], len(hosts), len(ports)))
    return "hosts=%d rst_or_unreachable=%d" % (len(hosts), answers)



# ---- MS17-010 variants ---------------------------------------------------

def u16(b, o):
    return struct.unpack("<H", b[o:o + 2])[0]


def u32(b, o):
    return struct.unpack("<I", b[o:o + 4])[0]


def trans_fields(h):
    """Counts of an SMB1 transaction message by command and direction."""
    w, cmd = h["words"], h["cmd"]
    f = {}
    if cmd in (0x25, 0x32) and not h["reply"] and h["wc"] >= 14:
        f = dict(total_data=u16(w, 2), max_data=u16(w, 6),
                 data=u16(w, 22), setup=[u16(w, 28 + 2 * i)
                                         for i in range(w[26])])
        if f["setup"] and cmd == 0x32:
            poff = u16(w, 20)
            f["param"] = h["raw"][poff:poff + u16(w, 18)]
    elif cmd in (0x25, 0x32) and h["reply"] and h["wc"] >= 10:
        f = dict(total_data=u16(w, 2), data=u16(w, 12), data_disp=u16(w, 16))
    elif cmd == 0xA0 and not h["reply"] and h["wc"] >= 19:
        f = dict(total_data=u32(w, 7), max_data=u32(w, 15),
                 data=u32(w, 27), function=u16(w, 36))
    elif cmd == 0xA0 and h["reply"] and h["wc"] >= 18:
        f = dict(total_data=u32(w, 7), data=u32(w, 23), data_disp=u32(w, 31))
    elif cmd == 0xA1 and h["wc"] >= 18:
        f = dict(total_data=u32(w, 7), data=u32(w, 23), data_disp=u32(w, 31))
    elif cmd in (0x26, 0x33) and h["wc"] >= 8:
        f = dict(total_data=u16(w, 2), data=u16(w, 10), data_disp=u16(w, 14))
    elif cmd == 0x2F and not h["reply"] and h["wc"] >= 12:
        f = dict(fid=u16(w, 4), mode=u16(w, 14), data=u16(w, 20))
    elif cmd == 0xA2 and h["reply"] and h["wc"] >= 34:
        f = dict(fid=u16(w, 5))
    return f


def check_eternal(row, pkts, problems, variant):
    conns = smb_between(pkts, row["attacker"], row["target"])
    ev = collections.Counter()
    for c in conns:
        fids, reqs = set(), {}
        nt_mids = set()
        c2s = list(nb_messages_at(c["c2s"]))
        for i, (msg, ln, a, b) in enumerate(c2s):
            h = smb1(msg)
            if not h:
                continue
            f = trans_fields(h)
            if h["cmd"] == 0xA2:
                ev["nt_create"] += 1
            if h["cmd"] in (0x25, 0x32, 0xA0):
                reqs[h["mid"]] = f
            if h["cmd"] == 0x25 and f.get("setup", [None])[:1] == [0x23]:
                ev["peek"] += 1
                if f["max_data"] <= 16:
                    ev["peek_small_max"] += 1
            if h["cmd"] == 0xA0 and f.get("function") == 5:
                nt_mids.add(h["mid"])
                # a secondary on its MID starting in the segment where the
                # primary ends: the race of BUG.txt Bug5
                for msg2, _, a2, b2 in c2s[i + 1:i + 2]:
                    h2 = smb1(msg2)
                    if h2 and h2["cmd"] == 0xA1 and h2["mid"] == h["mid"] \
                            and segment_of(c, "c2s", b - 1) == \
                            segment_of(c, "c2s", a2):
                        ev["rename_race"] += 1
            if h["cmd"] == 0x32 and f.get("setup") == [0x0005] and \
                    f.get("param", b"")[:2] == b"\x06\x00":
                secs = 0
                for msg2, _, a2, b2 in c2s[i + 1:i + 4]:
                    h2 = smb1(msg2)
                    if h2 and h2["cmd"] == 0x33 and h2["mid"] == h["mid"] and \
                            segment_of(c, "c2s", a2) == \
                            segment_of(c, "c2s", b - 1):
                        secs += 1
                if secs:
                    ev["query_path_race"] += 1
            if h["cmd"] == 0x2F and f.get("mode", 0) & 0x0004:
                ev["raw_write"] += 1
                fids.add(f["fid"])
            if h["cmd"] in (0x26, 0x33) and f and \
                    f["data_disp"] + f["data"] >= 0x1000:
                ev["big_displacement"] += 1
            if h["cmd"] == 0x33 and h["mid"] in nt_mids:
                ev["type_confusion"] += 1
        created = set()
        for msg, _, _, _ in nb_messages_at(c["s2c"]):
            h = smb1(msg)
            if not h:
                continue
            f = trans_fields(h)
            if h["cmd"] == 0xA2 and f:
                created.add(f["fid"])
            req = reqs.get(h["mid"])
            if h["cmd"] in (0x25, 0xA0) and h["reply"] and f and req and \
                    "max_data" in req and f["data"] + f.get("data_disp", 0) \
                    > max(req["max_data"], req.get("total_data", 0)):
                ev["oversize_answer"] += 1
            if h["cmd"] == 0xA0 and h["reply"] and h["status"] == 0xC00000BB:
                ev["rename_refused"] += 1
        # the groomed transaction whose MID is the pipe's FID
        if created & set(reqs):
            ev["mid_is_fid"] += 1
        if fids & created:
            ev["raw_write_on_pipe"] += 1
    vuln = row["detail"].get("outcome") == "vulnerable"
    need = {"eternalromance": ["nt_create", "peek", "peek_small_max"],
            "eternalsynergy": ["nt_create", "rename_race"],
            "eternalchampion": ["nt_create", "rename_race"]}[variant]
    if vuln:
        need += {"eternalromance": ["oversize_answer", "raw_write",
                                    "raw_write_on_pipe", "mid_is_fid",
                                    "big_displacement"],
                 "eternalsynergy": ["oversize_answer", "raw_write",
                                    "raw_write_on_pipe", "mid_is_fid",
                                    "type_confusion", "big_displacement"],
                 "eternalchampion": ["oversize_answer",
                                     "query_path_race"]}[variant]
    for k in need:
        if ev[k] == 0:
            problems.append("line %d: %s: no %s" % (row["line"], variant, k))
    if not vuln and ev["oversize_answer"]:
        problems.append("line %d: %s: patched target leaked" % (row["line"],
                                                                variant))
    if not vuln and variant != "eternalromance" and not ev["rename_refused"]:
        problems.append("line %d: %s: patched target did not refuse "
                        "NT_RENAME" % (row["line"], variant))
    return " ".join("%s=%d" % kv for kv in sorted(ev.items()))


# ---- DNS, TLS, QUIC helpers -------------------------------------------------

def dns_qname(pl):
    """(id, flags, qname, qtype) of a DNS message, or None."""
    if len(pl) < 17:
        return None
    qid, flags, qd = struct.unpack("!HHH", pl[:6])
    if qd < 1:
        return None
    off, labels = 12, []
    while off < len(pl) and pl[off] != 0:
        n = pl[off]
        if n & 0xC0:
            return None
        labels.append(pl[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n
    if off + 5 > len(pl):
        return None
    qtype = struct.unpack("!H", pl[off + 1:off + 3])[0]
    return qid, flags, ".".join(labels), qtype


def dns_name_at(pl, off, depth=0):
    """(name, next offset) of a possibly compressed name, or raises."""
    labels, nxt = [], None
    while True:
        if off >= len(pl) or depth > 20:
            raise ValueError("name runs off the message")
        n = pl[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            ptr = ((n & 0x3F) << 8) | pl[off + 1]
            if ptr >= off:
                raise ValueError("forward compression pointer")
            name, _ = dns_name_at(pl, ptr, depth + 1)
            labels.append(name)
            off += 2
            nxt = off
            break
        if n > 63:
            raise ValueError("label of %d bytes" % n)
        labels.append(pl[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n
    return ".".join(x for x in labels if x), nxt if nxt is not None else off


def dns_validate(pl):
    """Problems of a DNS answer: every record's data of its type's form."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", pl[:12])
    off = 12
    for _ in range(qd):
        _, off = dns_name_at(pl, off)
        off += 4
    out = []
    for _ in range(an + ns + ar):
        name, off = dns_name_at(pl, off)
        t, cls, ttl, rdl = struct.unpack("!HHIH", pl[off:off + 10])
        off += 10
        rd = pl[off:off + rdl]
        if len(rd) != rdl:
            out.append("record data runs off the message")
            break
        if t == 1:
            a = ipaddress.IPv4Address(rd) if rdl == 4 else None
            if not a or not a.is_global:
                out.append("A %s" % (a or rd.hex()))
        elif t == 28 and rdl != 16:
            out.append("AAAA of %d bytes" % rdl)
        elif t in (5, 12):
            if dns_name_at(pl, off)[1] != off + rdl:
                out.append("name record of the wrong length")
        elif t == 33:
            if dns_name_at(pl, off + 6)[1] != off + rdl:
                out.append("SRV of the wrong length")
        elif t == 16:
            k = 0
            while k < rdl:
                k += 1 + rd[k]
            if k != rdl:
                out.append("TXT strings of the wrong length")
        off += rdl
    if off != len(pl):
        out.append("%d bytes after the records" % (len(pl) - off))
    return out


def tls_sni(hello):
    """The SNI of a TLS ClientHello handshake message (type 1), or None."""
    if len(hello) < 40 or hello[0] != 1:
        return None
    off = 4 + 2 + 32
    off += 1 + hello[off]
    off += 2 + struct.unpack("!H", hello[off:off + 2])[0]
    off += 1 + hello[off]
    end = off + 2 + struct.unpack("!H", hello[off:off + 2])[0]
    off += 2
    while off + 4 <= end:
        t, ln = struct.unpack("!HH", hello[off:off + 4])
        if t == 0:
            n = struct.unpack("!H", hello[off + 7:off + 9])[0]
            return hello[off + 9:off + 9 + n].decode("latin-1")
        off += 4 + ln
    return ""


def hkdf_label(secret, label, n):
    import hashlib
    import hmac
    info = struct.pack("!H", n) + bytes([6 + len(label)]) + b"tls13 " + \
        label + b"\0"
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


QUIC_V1_SALT = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def quic_initial_keys(dcid, server=False):
    import hashlib
    import hmac
    init = hmac.new(QUIC_V1_SALT, dcid, hashlib.sha256).digest()
    sec = hkdf_label(init, b"server in" if server else b"client in", 32)
    return (hkdf_label(sec, b"quic key", 16), hkdf_label(sec, b"quic iv", 12),
            hkdf_label(sec, b"quic hp", 16))


def varint(b, off):
    n = 1 << (b[off] >> 6)
    v = b[off] & 0x3F
    for i in range(1, n):
        v = (v << 8) | b[off + i]
    return v, off + n


def quic_open_initial(dg, orig_dcid=None, server=False):
    """Decrypts the first (Initial) packet of a QUIC datagram with the keys
    of RFC 9001 5.2; returns (dcid, frames) or raises ValueError."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, \
        modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    if dg[0] & 0xF0 != 0xC0 or dg[1:5] != b"\0\0\0\x01":
        raise ValueError("not a QUIC v1 Initial")
    dl = dg[5]
    dcid = dg[6:6 + dl]
    off = 6 + dl
    off += 1 + dg[off]
    tl, off = varint(dg, off)
    off += tl
    length, off = varint(dg, off)
    key, iv, hp = quic_initial_keys(orig_dcid or dcid, server)
    sample = dg[off + 4:off + 20]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    first = dg[0] ^ (mask[0] & 0x0F)
    pnl = (first & 3) + 1
    pn = bytes(dg[off + i] ^ mask[1 + i] for i in range(pnl))
    header = bytes([first]) + dg[1:off] + pn
    nonce = bytearray(iv)
    pnv = int.from_bytes(pn, "big")
    for i in range(8):
        nonce[11 - i] ^= (pnv >> (8 * i)) & 0xFF
    ct = dg[off + pnl:off + length]
    plain = AESGCM(key).decrypt(bytes(nonce), bytes(ct), header)
    return dcid, plain


def quic_crypto(frames):
    """The CRYPTO frame data of decrypted Initial frames."""
    off, out = 0, b""
    while off < len(frames):
        t = frames[off]
        if t == 0:
            off += 1
        elif t == 0x02:
            off += 1
            for _ in range(2):
                _, off = varint(frames, off)
            n, off = varint(frames, off)
            _, off = varint(frames, off)
            for _ in range(2 * n):
                _, off = varint(frames, off)
        elif t == 0x06:
            _, off = varint(frames, off + 1)
            n, off = varint(frames, off)
            out += frames[off:off + n]
            off += n
        else:
            break
    return out


def quic_check(pkts, problems, want=1, label="quic"):
    """Decrypts every client Initial to UDP 443 and the server's answer."""
    first, opened, snis, servers = {}, 0, set(), 0
    for p in pkts:
        if p.proto != 17 or p.sport is None or 443 not in (p.sport, p.dport) \
                or not p.payload or p.payload[0] & 0xF0 != 0xC0:
            continue
        key = (p.src, p.sport, p.dst) if p.dport == 443 else \
            (p.dst, p.dport, p.src)
        if p.dport == 443 and key not in first:
            try:
                dcid, fr = quic_open_initial(p.payload)
            except Exception as e:  # noqa: BLE001 -- any failure is a defect
                problems.append("frame %d: %s: client Initial does not "
                                "decrypt: %s" % (p.n, label, e))
                continue
            first[key] = dcid
            hello = quic_crypto(fr)
            sni = tls_sni(hello)
            if not sni:
                problems.append("frame %d: %s: no SNI in the ClientHello" %
                                (p.n, label))
            snis.add(sni)
            opened += 1
            if len(p.payload) < 1200:
                problems.append("frame %d: %s: client Initial datagram of "
                                "%d bytes (< 1200)" % (p.n, label,
                                                      len(p.payload)))
        elif p.sport == 443 and key in first and key + ("s",) not in first:
            try:
                _, fr = quic_open_initial(p.payload, first[key], True)
            except Exception as e:  # noqa: BLE001
                problems.append("frame %d: %s: server Initial does not "
                                "decrypt: %s" % (p.n, label, e))
                continue
            first[key + ("s",)] = True
            if quic_crypto(fr)[:1] == b"\x02":
                servers += 1
    if opened < want:
        problems.append("%s: %d client Initials, want %d" % (label, opened,
                                                             want))
    return "initials=%d server_hellos=%d snis=%d" % (opened, servers,
                                                     len(snis))


def der_tlv(b, off):
    t = b[off]
    ln = b[off + 1]
    off += 2
    if ln & 0x80:
        k = ln & 0x7F
        ln = int.from_bytes(b[off:off + k], "big")
        off += k
    return t, off, off + ln


def krb_error_code(msg):
    """error-code of a KRB-ERROR, None for other messages."""
    if not msg or msg[0] != 0x7E:
        return None
    _, c, _ = der_tlv(msg, 0)
    _, c, e = der_tlv(msg, c)  # SEQUENCE
    while c < e:
        t, vc, ve = der_tlv(msg, c)
        if t == 0xA6:
            _, ic, ie = der_tlv(msg, vc)
            return int.from_bytes(msg[ic:ie], "big", signed=True)
        c = ve
    return None


def krb_messages(pkts, a, b):
    """Kerberos messages between a (client) and b (KDC), UDP and TCP."""
    out = []
    for p in pkts:
        if p.proto == 17 and 88 in (p.sport, p.dport) and \
                {str(p.src), str(p.dst)} == {a, b}:
            out.append((p.sport == 88, p.payload))
    for key, c in streams(pkts, 88).items():
        if str(key[0]) == a and str(key[2]) == b:
            for d, srv in (("c2s", False), ("s2c", True)):
                data, off = c[d], 0
                while off + 4 <= len(data):
                    n = struct.unpack("!I", data[off:off + 4])[0]
                    out.append((srv, data[off + 4:off + 4 + n]))
                    off += 4 + n
    return out


# ---- new attacks ---------------------------------------------------------

def check_service_scan(row, pkts, problems):
    port = int(row["detail"]["port"])
    conns = [c for k, c in streams(pkts, port).items()
             if str(k[0]) == row["attacker"] and str(k[2]) == row["target"]]
    kinds = set()
    for c in conns:
        d = c["c2s"]
        if d.startswith(b"GET / HTTP/1.0"):
            kinds.add("get")
        elif d.startswith(b"OPTIONS / HTTP"):
            kinds.add("options")
        elif d.startswith(b"OPTIONS / RTSP"):
            kinds.add("rtsp")
        elif d == b"\r\n\r\n":
            kinds.add("crlf")
        elif d.startswith(b"\x16\x03\x00"):
            kinds.add("sslv3")
        elif d.startswith(b"\x16\x03\x01") and d[9:11] == b"\x03\x03":
            kinds.add("tls")
        elif d[:4] == b"\x80\x00\x00\x28" and d[8:12] == b"\0\0\0\0":
            kinds.add("rpc")
        elif d.startswith(b"HELP"):
            kinds.add("help")
        elif d[:2] == b"\x03\x00" and d[5:6] == b"\xe0":
            kinds.add("x224")
        elif len(d) > 2 and dns_qname(d[2:]):
            kinds.add("dns")
        elif not d:
            kinds.add("null")
    want = int(row["detail"]["connections"])
    if len(conns) < want:
        problems.append("line %d: service-scan: %d connections, want %d" %
                        (row["line"], len(conns), want))
    if len(kinds) < min(8, want):
        problems.append("line %d: service-scan: only probes %s" %
                        (row["line"], sorted(kinds)))
    return "connections=%d probes=%s" % (len(conns), ",".join(sorted(kinds)))


def check_brute(row, pkts, problems):
    d = row["detail"]
    proto, attempts = d["proto"], int(d["attempts"])
    guessed = d.get("outcome") == "guessed"
    fails = ok = 0
    if proto in ("smb1", "smb2"):
        for c in smb_between(pkts, row["attacker"], row["target"]):
            for msg, _ in nb_messages(c["s2c"]):
                if msg[:4] == b"\xffSMB" and msg[4] == 0x73:
                    st = u32(msg, 5)
                elif msg[:4] == b"\xfeSMB" and u16(msg, 12) == 1:
                    st = u32(msg, 8)
                else:
                    continue
                if st == 0xC000006D:
                    fails += 1
                elif st == 0:
                    ok += 1
            for msg, _ in nb_messages(c["c2s"]):
                if proto == "smb1" and msg[:4] == b"\xfeSMB":
                    problems.append("line %d: smb1 guess in SMB2" %
                                    row["line"])
    elif proto == "kerberos":
        for srv, msg in krb_messages(pkts, row["attacker"], row["target"]):
            if not srv:
                continue
            code = krb_error_code(msg)
            if code == 24:
                fails += 1
            elif code is None and msg[:1] == b"\x6b":
                ok += 1
            elif code == 25:
                problems.append("line %d: kerberos guess answered "
                                "PREAUTH_REQUIRED" % row["line"])
    else:
        port = 22 if proto == "ssh" else 3389
        per = int(d.get("per_connection", "1"))
        for k, c in streams(pkts, port).items():
            if str(k[0]) != row["attacker"] or str(k[2]) != row["target"]:
                continue
            long_ = len(c["s2c"]) > 20000 or c["last"] - c["first"] > 20e9
            if long_:
                ok += 1
            else:
                fails += per if proto == "ssh" else 1
            if proto == "rdp" and b"Cookie: mstshash=" not in c["c2s"][:64]:
                problems.append("line %d: rdp: no cookie" % row["line"])
            if proto == "ssh" and not c["s2c"].startswith(b"SSH-2.0-"):
                problems.append("line %d: ssh: no banner" % row["line"])
        if proto == "ssh" and fails:
            fails = min(fails, attempts)
    want = attempts - (1 if guessed else 0)
    if fails < want * 0.9:
        problems.append("line %d: brute-force %s: %d failed attempts, want "
                        "%d" % (row["line"], proto, fails, want))
    if guessed != (ok >= 1):
        problems.append("line %d: brute-force %s: %d successes" %
                        (row["line"], proto, ok))
    return "failed=%d succeeded=%d" % (fails, ok)


def check_exfil(row, pkts, problems):
    up = down = 0
    t0 = t1 = None
    for p in pkts:
        a, b = str(p.src), str(p.dst)
        if a == row["target"] and b == row["attacker"]:
            down += p.l3len
        elif a == row["attacker"] and b == row["target"]:
            up += p.l3len
            t0 = p.ts if t0 is None else t0
            t1 = p.ts
    want = int(row["detail"]["bytes"])
    if up < want:
        problems.append("line %d: exfiltration: %d bytes up, want %d" %
                        (row["line"], up, want))
    if down > up * 0.05:
        problems.append("line %d: exfiltration: %d bytes came back" %
                        (row["line"], down))
    span = (t1 - t0) / 1e9 if t0 else 0
    if span > float(row["detail"]["duration"]) * 1.1:
        problems.append("line %d: exfiltration took %.0f s" % (row["line"],
                                                                span))
    return "up=%d down=%d seconds=%.1f mbit_s=%.1f" % (
        up, down, span, up * 8 / max(span, 1e-9) / 1e6)


def check_c2(row, pkts, problems, rows):
    port = int(row["detail"]["port"])
    conns = [c for k, c in streams(pkts, port).items()
             if str(k[0]) == row["target"] and str(k[2]) == row["attacker"]]
    want = 1 if row["detail"]["mode"] == "raw" else \
        int(row["detail"]["beacons"])
    if len(conns) < want:
        problems.append("line %d: c2: %d connections, want %d" %
                        (row["line"], len(conns), want))
    first = min((c["first"] for c in conns), default=0)
    if row["detail"].get("after"):
        dps = [r for r in rows if r["kind"] == "doublepulsar" and
               r["target"] == row["target"]]
        if not dps:
            problems.append("line %d: c2 after an exploit without one" %
                            row["line"])
        elif not any(r["end"] <= first <= r["end"] + 15e9 for r in dps):
            problems.append("line %d: c2 does not follow the implant within "
                            "15 s" % row["line"])
    if row["detail"]["mode"] == "raw" and conns and len(conns[0]["s2c"]) < \
            100000:
        problems.append("line %d: c2 raw: no stage download" % row["line"])
    return "connections=%d" % len(conns)


def check_intel(row, pkts, problems):
    d = row["detail"]
    seen, typ = d.get("seen"), d["type"]
    hits = 0
    for p in pkts:
        if str(p.src) != row["target"] or p.proto not in (6, 17):
            continue
        if typ == "dns" and p.proto == 17 and p.dport == 53:
            q = dns_qname(p.payload)
            if q and q[2] == seen.rstrip("."):  # the root label is implicit
                hits += 1
        if typ == "ip" and p.proto == 6 and str(p.dst) == row["attacker"] and \
                p.flags & 0x12 == 0x02:
            hits += 1
    if typ in ("http", "tls"):
        port = 80 if typ == "http" else 443
        for k, c in streams(pkts, port).items():
            if str(k[0]) != row["target"]:
                continue
            if typ == "http" and ("\r\nHost: %s\r\n" % seen).encode() in \
                    c["c2s"]:
                hits += 1
            if typ == "tls" and c["c2s"][:1] == b"\x16" and \
                    tls_sni(c["c2s"][5:]) == seen:
                hits += 1
    if hits == 0:
        problems.append("line %d: intel %s: %s not seen" % (row["line"], typ,
                                                           seen))
    ind = d["indicator"].lower().rstrip(".")
    if "://" in ind:  # a URL: its host is what the request names
        ind = ind.split("://", 1)[1].split("/", 1)[0]
    name = (seen or "").lower().rstrip(".")
    match = name == ind or name.endswith("." + ind)
    if typ in ("dns", "http", "tls") and (row["detector"] == "none") == match:
        problems.append("line %d: intel %s: %s vs %s: the row says %s" % (
            row["line"], typ, seen, ind, row["detector"]))
    if row["detector"] == "none" and name.startswith("xn--"):
        if name.encode().decode("idna") == name:
            problems.append("line %d: %s is not an IDN" % (row["line"], seen))
    return "hits=%d" % hits


# ---- look-alikes (detector none) ---------------------------------------------

def bytes_between(pkts, a, b, port=None):
    n = 0
    for p in pkts:
        if str(p.src) == a and str(p.dst) == b and \
                (port is None or p.dport == port):
            n += p.l3len
    return n


def check_bulk(row, pkts, problems):
    d = row["detail"]
    port, want = int(d["port"]), int(d["bytes"])
    up = bytes_between(pkts, row["attacker"], row["target"], port)
    if up < want:
        problems.append("line %d: %s: %d bytes, want %d" % (row["line"],
                                                           row["kind"], up,
                                                           want))
    info = "bytes=%d" % up
    if row["kind"] == "dicom":
        c = [c for k, c in streams(pkts, port).items()
             if str(k[0]) == row["attacker"]]
        if not c or c[0]["c2s"][:1] != b"\x01" or c[0]["s2c"][:1] != b"\x02":
            problems.append("line %d: dicom: no A-ASSOCIATE-RQ/AC" %
                            row["line"])
        elif b"1.2.840.10008.5.1.4.1.1.2" not in c[0]["c2s"][:600]:
            problems.append("line %d: dicom: no CT storage context" %
                            row["line"])
        span = max((row["end"] - row["start"]) / 1e9, 1e-9)
        rate = up * 8 / span / 1e6
        if rate < 450:
            problems.append("line %d: dicom: %.0f Mbit/s" % (row["line"],
                                                             rate))
        info += " mbit_s=%.0f" % rate
    return info


def check_resolver(row, pkts, problems):
    res = row["attacker"]
    asked = set()
    answers = unmatched = 0
    for p in pkts:  # queries asked before the row began count too
        if p.proto != 17 or p.sport is None:
            continue
        q = dns_qname(p.payload)
        if not q:
            continue
        if p.dport == 53 and not q[1] & 0x8000:
            asked.add((str(p.src), p.sport, str(p.dst), q[0]))
        elif not in_span(row, p):
            continue
        elif p.sport == 53 and q[1] & 0x8000 and \
                (str(p.src) == res or str(p.dst) == res):
            answers += 1
            for e in dns_validate(p.payload)[:1]:
                problems.append("frame %d: busy-resolver: %s" % (p.n, e))
            if (str(p.dst), p.dport, str(p.src), q[0]) not in asked:
                unmatched += 1
    if answers == 0 or unmatched:
        problems.append("line %d: busy-resolver: %d answers, %d without "
                        "their query" % (row["line"], answers, unmatched))
    return "answers=%d" % answers


def check_lan(row, pkts, problems):
    mdns = ssdp = ssdp_ans = bad = 0
    searches = set()
    for p in pkts:
        if p.proto != 17 or p.sport is None or not in_span(row, p):
            continue
        if str(p.dst) in ("224.0.0.251", "ff02::fb"):
            mdns += 1
            if p.ttl != 255:
                bad += 1
        if str(p.dst) == "239.255.255.250":
            ssdp += 1
            if p.payload.startswith(b"M-SEARCH"):
                searches.add((str(p.src), p.sport))
        if p.sport == 1900 and str(p.dst) != "239.255.255.250":
            ssdp_ans += 1
            if (str(p.dst), p.dport) not in searches:
                bad += 1
    proto = row["detail"].get("proto", "all")
    if (proto in ("all", "mdns") and not mdns) or \
            (proto in ("all", "ssdp") and not ssdp) or bad:
        problems.append("line %d: lan-discovery: mdns=%d ssdp=%d bad=%d" %
                        (row["line"], mdns, ssdp, bad))
    return "mdns=%d ssdp=%d ssdp_answers=%d" % (mdns, ssdp, ssdp_ans)


def check_logons(row, pkts, problems):
    ok = fail = dangling = preauth = 0
    if row["kind"] == "smb-logons":
        for k, c in streams(pkts, 445).items():
            if str(k[2]) != row["target"]:
                continue
            seq = []
            for msg, _ in nb_messages(c["s2c"]):
                if msg[:4] == b"\xfeSMB" and u16(msg, 12) == 1:
                    seq.append(u32(msg, 8))
            for i, st in enumerate(seq):
                if st == 0xC000006D:
                    fail += 1
                    if 0 not in seq[i + 1:]:
                        dangling += 1
                elif st == 0:
                    ok += 1
    else:
        last = {}
        for key, c in streams(pkts, 88).items():
            if str(key[2]) != row["target"] or not in_span(row, c_first(c)):
                continue
            data = c["s2c"]
            if len(data) < 5:
                continue
            code = krb_error_code(data[4:])
            cl = str(key[0])
            if code == 25:
                preauth += 1
            elif code == 24:
                fail += 1
                last[cl] = last.get(cl, 0) + 1
            elif data[4] == 0x6B:
                ok += 1
                last[cl] = 0
        dangling = sum(1 for v in last.values() if v)
        if preauth == 0:
            problems.append("line %d: kerberos-logons: no PREAUTH_REQUIRED" %
                            row["line"])
    if ok == 0 or dangling:
        problems.append("line %d: %s: %d logons, %d failures never followed "
                        "by success" % (row["line"], row["kind"], ok,
                                        dangling))
    return "logons=%d failures=%d preauth_required=%d" % (ok, fail, preauth)


class _First:
    def __init__(self, ts):
        self.ts = ts


def c_first(c):
    return _First(c["first"])


def check_scanner(row, pkts, problems):
    hosts = set()
    for p in pkts:
        if p.proto == 6 and str(p.src) == row["attacker"] and \
                p.flags & 0x12 == 0x02:
            hosts.add(str(p.dst))
    if len(hosts) < int(row["detail"]["hosts"]):
        problems.append("line %d: vuln-scanner: %d hosts" % (row["line"],
                                                            len(hosts)))
    return "hosts=%d" % len(hosts)


def check_voip(row, pkts, problems):
    rtp = collections.Counter()
    bad = 0
    for p in pkts:
        if p.proto == 17 and p.sport and p.sport >= 10000 and \
                p.dport >= 10000 and p.sport % 2 == 0 and in_span(row, p) \
                and len(p.payload) == 172:
            if p.payload[0] != 0x80 or p.payload[1] & 0x7F != 0:
                bad += 1
            rtp[(str(p.src), p.sport, str(p.dst), p.dport)] += 1
    if not rtp or bad:
        problems.append("line %d: voip: %d RTP streams, %d bad" %
                        (row["line"], len(rtp), bad))
    return "rtp_streams=%d packets=%d" % (len(rtp), sum(rtp.values()))


def check_admin(row, pkts, problems):
    long_ = 0
    for port in (22, 3389):
        for k, c in streams(pkts, port).items():
            if in_span(row, c_first(c)) and c["last"] - c["first"] > 5e9:
                long_ += 1
    if long_ == 0:
        problems.append("line %d: admin-sessions: none lasted" % row["line"])
    return "sessions=%d" % long_


CHECKS = {
    "ms17-010": check_ms17010,
    "doublepulsar": check_doublepulsar,
    "smb-worm": check_worm,
    "syn-flood": check_synflood,
    "amplification": check_amplification,
    "volumetric": check_volumetric,
    "scan-horizontal": lambda r, p, pr: check_scan(r, p, pr, False),
    "scan-vertical": lambda r, p, pr: check_scan(r, p, pr, True),
    "service-scan": check_service_scan,
    "brute-force": check_brute,
    "exfiltration": check_exfil,
    "c2-callback": None,  # needs the other rows, see main()
    "intel": check_intel,
    "intel-near-miss": check_intel,
    "dicom": check_bulk,
    "backup-job": check_bulk,
    "vm-snapshot": check_bulk,
    "wanted-upload": check_bulk,
    "busy-resolver": check_resolver,
    "lan-discovery": check_lan,
    "smb-logons": check_logons,
    "kerberos-logons": check_logons,
    "vuln-scanner": check_scanner,
    "admin-sessions": check_admin,
    "voip": check_voip,
    "quic": lambda r, p, pr: quic_check(
        [q for q in p if in_span(r, q)], pr, 1, "line %d: quic" % r["line"]),
}


def summary(pkts):
    sizes = collections.Counter()
    protos = collections.Counter()
    for p in pkts:
        sz = p.l3len
        sizes["<=80" if sz <= 80 else ">=1400" if sz >= 1400 else "81-1399"] += 1
        if p.proto == 6:
            protos["tcp/%d" % min(p.sport, p.dport)] += 1
        elif p.proto == 17 and p.sport is not None:
            protos["udp/%d" % min(p.sport, p.dport)] += 1
        else:
            protos["ip/%d%s" % (p.proto, " frag" if p.frag else "")] += 1
    v6 = sum(1 for p in pkts if p.ver == 6)
    print("packets %d, IPv6 %d" % (len(pkts), v6))
    print("sizes (IP bytes): %s" % dict(sizes))
    print("top protocols: %s" % protos.most_common(16))


def quick(path, problems):
    """Timestamps only: (count, first, last)."""
    _, _, _, frames = read_pcap(path)
    last = 0
    for i, (ts, _, wire, cap) in enumerate(frames, 1):
        if ts < last:
            problems.append("frame %d: timestamp goes back" % i)
        last = ts
    return len(frames), (frames[0][0] if frames else 0), last


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    problems = []
    if "--quick" in argv:
        count, first, last = quick(argv[1], problems)
        pkts = []
    else:
        linktype, nano, pkts = load(argv[1], problems)
        count = len(read_pcap(argv[1])[3])
        first = pkts[0].ts if pkts else 0
        last = pkts[-1].ts if pkts else 0
    header, rows = read_truth(argv[2], problems)
    if "packets" not in header or "seed" not in header:
        problems.append("truth: first comment lacks seed= and packets=")
    elif int(header["packets"]) != count:
        problems.append("truth: packets=%s but the capture has %d" %
                        (header["packets"], count))
    expect = argv[argv.index("--expect") + 1:] if "--expect" in argv else []
    seen = set()
    for r in rows:
        if r["start"] > r["end"] or r["start"] < first or r["end"] > last:
            problems.append("line %d: %d..%d outside the capture %d..%d" %
                            (r["line"], r["start"], r["end"], first, last))
        if r["kind"] not in CHECKS:
            problems.append("line %d: unknown kind %s" % (r["line"], r["kind"]))
            continue
        check = CHECKS[r["kind"]]
        seen.add(r["kind"])
        if "--quick" in argv:
            continue
        if r["kind"] == "c2-callback":
            info = check_c2(r, pkts, problems, rows)
        else:
            info = check(r, pkts, problems)
        if "--summary" in argv:
            print("%s %s %s -> %s: %s" % (r["kind"], r["detector"],
                                          r["attacker"], r["target"], info))
    for k in expect:
        if k not in seen:
            problems.append("no truth row of kind %s" % k)
    # fragment trains without their first fragment: only where an attack
    # sends answers as non-first fragments only
    fonly = [r for r in rows if r["detail"].get("fragments_only") == "1"]
    for p in INCOMPLETE:
        if not any(str(p.dst) == r["target"] and in_span(r, p)
                   for r in fonly):
            problems.append("frame %d: incomplete fragment train" % p.n)
    if "--summary" in argv and pkts:
        summary(pkts)
    for p in problems[:50]:
        print("FAIL: " + p)
    if len(problems) > 50:
        print("FAIL: ... %d more" % (len(problems) - 50))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
