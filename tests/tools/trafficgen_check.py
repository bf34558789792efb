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


class Pkt:
    __slots__ = ("n", "ts", "wire", "ver", "src", "dst", "proto", "sport",
                 "dport", "flags", "seq", "ack", "payload", "frag", "mf",
                 "frag_off", "ip_id", "icmp_type", "icmp_code", "l3len")

    def __init__(self):
        self.sport = self.dport = None
        self.flags = 0
        self.payload = b""
        self.frag = False
        self.mf = False
        self.frag_off = 0
        self.icmp_type = None


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


def parse_ip(ip, n, ts, problems):
    p = Pkt()
    p.n, p.ts = n, ts
    v = ip[0] >> 4
    p.ver = v
    if v == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
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
    return parse_l4(p, l4, n, problems)


def parse_l4(p, l4, n, problems, check=True):
    if p.proto == 6:
        p.sport, p.dport, p.seq, p.ack = struct.unpack("!HHII", l4[:12])
        doff = (l4[12] >> 4) * 4
        p.flags = l4[13]
        if check and csum(l4, pseudo(p, 6, len(l4))) != 0xFFFF:
            problems.append("frame %d: bad TCP checksum" % n)
        p.payload = l4[doff:]
    elif p.proto == 17:
        p.sport, p.dport, ulen = struct.unpack("!HHH", l4[:6])
        if ulen != len(l4):
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
        if cap != wire:
            problems.append("frame %d: truncated (caplen %d < %d)" % (i, cap, wire))
        ip, _ = decode(linktype, e, frame, problems, i)
        if ip is None:
            continue
        p = parse_ip(ip, i, ts, problems)
        if p is None:
            continue
        pkts.append(p)
        if p.frag:
            key = (p.ver, p.src, p.dst, p.proto, p.ip_id)
            frags[key].append(p)
    # reassemble fragmented datagrams and verify their checksums
    for key, parts in frags.items():
        parts.sort(key=lambda q: q.frag_off)
        if parts[0].frag_off != 0 or parts[-1].mf:
            problems.append("frame %d: incomplete fragment train" % parts[0].n)
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
    return conns


def nb_messages(data):
    off = 0
    while off + 4 <= len(data):
        ln = struct.unpack("!I", data[off:off + 4])[0] & 0x1FFFF
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
                data_count = struct.unpack("<I", h["words"][23:27])[0]
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
    if n == 0:
        problems.append("line %d: amplification: no answers" % row["line"])
    if len(srcs) < min(n, int(row["detail"]["reflectors"])) / 4:
        problems.append("line %d: amplification: %d reflectors" %
                        (row["line"], len(srcs)))
    if proto in ("dns", "cldap") and nonfirst == 0:
        problems.append("line %d: amplification: no non-first fragments" %
                        row["line"])
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


CHECKS = {
    "ms17-010": check_ms17010,
    "doublepulsar": check_doublepulsar,
    "smb-worm": check_worm,
    "syn-flood": check_synflood,
    "amplification": check_amplification,
    "volumetric": check_volumetric,
    "scan-horizontal": lambda r, p, pr: check_scan(r, p, pr, False),
    "scan-vertical": lambda r, p, pr: check_scan(r, p, pr, True),
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
        check = CHECKS.get(r["kind"])
        if not check:
            problems.append("line %d: unknown kind %s" % (r["line"], r["kind"]))
            continue
        seen.add(r["kind"])
        if "--quick" in argv:
            continue
        info = check(r, pkts, problems)
        if "--summary" in argv:
            print("%s %s %s -> %s: %s" % (r["kind"], r["detector"],
                                          r["attacker"], r["target"], info))
    for k in expect:
        if k not in seen:
            problems.append("no truth row of kind %s" % k)
    if "--summary" in argv and pkts:
        summary(pkts)
    for p in problems[:50]:
        print("FAIL: " + p)
    if len(problems) > 50:
        print("FAIL: ... %d more" % (len(problems) - 50))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
