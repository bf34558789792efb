#!/usr/bin/env python3
"""trafficgen_test.py -- CTest cases for tools/trafficgen (label "tools").

usage: trafficgen_test.py CASE --trafficgen PATH --work DIR

Cases:
  same-seed    same seed and options -> byte-identical pcap and truth;
               another seed -> a different pcap
  attacks      every attack kind (and variants) over IPv4 in one capture:
               each truth row's attack is visible in the packets
  attacks-ipv6 the same over IPv6
  linktypes    ether, sll, sll2, raw, null, 802.1Q, QinQ, nanosecond files
  benign       the benign mix: checksums, size mix, protocols, sweeps of the
               backup server and domain controller answered, no truth rows
  demo         the demo profile: one row of every kind inside the capture
  cli          bad options are refused (exit 2) and leave no file behind
  attacks2     the newer attacks: service scans, brute force (SMB1, SMB2,
               Kerberos, SSH, RDP; failed and guessed), exfiltration, C2
               callbacks, intel hits and near misses, the added reflection
               vectors and fragments-only answers, a 5000-port scan
  eternal      MS17-010 variants: EternalRomance, EternalSynergy,
               EternalChampion against vulnerable and patched targets,
               with implants, and DoublePulsar on two victims in turn
  lookalikes   every --benign look-alike: visible in the packets, rows of
               detector none, QUIC Initials decrypted, resolver answers
               each matching a query
  snaplen      --snaplen truncates captured bytes, never wire lengths
  long-benign  the long benign profile: look-alike rows only
  bench-hard   the hard benchmark mix: many flows, large frames
Exit 0 pass, 1 fail.
"""
import argparse
import collections
import os
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trafficgen_check as chk  # noqa: E402

KINDS = ["ms17-010", "doublepulsar", "smb-worm", "syn-flood", "amplification",
         "volumetric", "scan-horizontal", "scan-vertical"]

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def gen(o, name, args):
    pcap = os.path.join(o.work, name + ".pcap")
    truth = os.path.join(o.work, name + ".truth.tsv")
    p = subprocess.run([o.trafficgen, "-q"] + args + ["-o", pcap, "--truth",
                                                       truth],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail("trafficgen %s exited %d: %s" % (" ".join(args), p.returncode,
                                              p.stderr.strip()))
        return None, None
    return pcap, truth


def check(pcap, truth, expect=(), extra=()):
    argv = ["check", pcap, truth] + list(extra)
    if expect:
        argv += ["--expect"] + list(expect)
    rc = chk.main(argv)
    if rc != 0:
        fail("checks failed on %s" % os.path.basename(pcap))


def rows_of(truth):
    return chk.read_truth(truth, [])[1]


def case_same_seed(o):
    args = ["--seed", "7", "--duration", "6", "--rate", "1500",
            "--attack", "ms17-010:at=1,implant=1",
            "--attack", "syn-flood:at=4,rate=2000,duration=1",
            "--attack", "ms17-010:at=2,variant=eternalsynergy,implant=1,"
            "c2=tls,beacons=2,beacon_interval=1,src=81.2.69.161",
            "--attack", "brute-force:at=3,proto=kerberos,attempts=5",
            "--benign", "quic:at=1,sessions=3,window=1",
            "--benign", "voip:at=1,calls=1,length=3"]
    a = gen(o, "a", args)
    b = gen(o, "b", args)
    c = gen(o, "c", ["--seed", "8"] + args[2:])
    if None in a + b + c:
        return
    if open(a[0], "rb").read() != open(b[0], "rb").read():
        fail("same seed, different pcap")
    if open(a[1]).read() != open(b[1]).read():
        fail("same seed, different truth")
    if open(a[0], "rb").read() == open(c[0], "rb").read():
        fail("seeds 7 and 8 gave the same pcap")
    n1 = gen(o, "n1", args + ["--nanosecond"])
    n2 = gen(o, "n2", args + ["--nanosecond"])
    if None not in n1 + n2 and open(n1[0], "rb").read() != open(n2[0], "rb").read():
        fail("same seed, different nanosecond pcap")
    check(*a, expect=["ms17-010", "syn-flood"])


ATTACKS = [
    "scan-horizontal:at=0.5,count=120,rate=400",
    "scan-horizontal:at=0.5,type=udp,port=161,count=60,rate=400",
    "scan-vertical:at=1,count=150,rate=1000",
    "scan-vertical:at=1,type=xmas,count=60,rate=1000",
    "scan-vertical:at=1,type=connect,count=60,rate=1000,src=81.2.69.160",
    "ms17-010:at=2,attempts=2,interval=4,implant=1",
    "ms17-010:at=3,vuln=0,dst=10.20.0.10",
    "doublepulsar:at=4",
    "doublepulsar:at=4,implant=0,dst=10.20.0.10",
    "smb-worm:at=5,count=40,rate=40,open=0.3,chain=1,spread=1",
    "syn-flood:at=9,rate=4000,duration=0.5",
    "syn-flood:at=9,rate=3000,duration=0.5,spoof=0,answer=0,port=80",
    "amplification:at=10,proto=dns,rate=3000,duration=0.4,reflectors=300",
    "amplification:at=10.5,proto=ntp,rate=2000,duration=0.3,reflectors=200",
    "amplification:at=11,proto=cldap,rate=2000,duration=0.3,reflectors=200",
    "amplification:at=11,proto=synack,rate=2000,duration=0.3,reflectors=200",
    "volumetric:at=12,proto=udp,rate=20000,duration=0.3,size=200",
    "volumetric:at=12,proto=gre,rate=5000,duration=0.3",
    "volumetric:at=12.5,proto=icmp,rate=5000,duration=0.3",
    "volumetric:at=12.5,proto=tcp-ack,rate=5000,duration=0.3",
]


def case_attacks(o, v6):
    args = ["--profile", "none", "--seed", "3", "--hosts", "120"]
    for a in ATTACKS:
        if v6:
            a = a.replace(",dst=10.20.0.10", ",dst=2001:db8:20::a")
            a = a.replace(",src=81.2.69.160", ",src=2001:218::1")
            a += ",ipv6=1"
        args += ["--attack", a]
    pcap, truth = gen(o, "attacks6" if v6 else "attacks", args)
    if not pcap:
        return
    check(pcap, truth, expect=KINDS)
    rows = rows_of(truth)
    det = collections.Counter(r["detector"] for r in rows)
    for d in ["smb.ms17-010", "smb.doublepulsar", "worm.smb-fanout",
              "ddos.syn-flood", "ddos.amplification", "ddos.volumetric",
              "scan.horizontal", "scan.vertical"]:
        if det[d] == 0:
            fail("no truth row for detector %s" % d)
    worms = [r for r in rows if r["kind"] == "smb-worm"]
    if not any("infected_by" in r["detail"] for r in worms):
        fail("smb-worm chain=1: no second-generation fan-out row")
    for r in rows:
        atk = r["attacker"]
        if atk != "*" and (":" in atk) != v6:
            fail("line %d: attacker %s of the wrong family" % (r["line"], atk))
        if r["kind"] == "syn-flood" and r["detail"].get("spoofed") == "1" \
                and atk != "*":
            fail("spoofed flood with an attacker address")


def case_linktypes(o):
    want = {"ether": 1, "sll": 113, "sll2": 276, "raw": 101, "null": 0}
    for lt, code in want.items():
        for extra in ([], ["--nanosecond"]):
            name = "lt_%s%s" % (lt, "_ns" if extra else "")
            pcap, truth = gen(o, name, ["--linktype", lt, "--duration", "3",
                                        "--rate", "400", "--attack",
                                        "ms17-010:at=0.5,ipv6=1",
                                        "--attack",
                                        "amplification:at=2,rate=1000,"
                                        "duration=0.3,reflectors=50"] + extra)
            if not pcap:
                continue
            hdr = open(pcap, "rb").read(24)
            magic, = struct.unpack("<I", hdr[:4])
            if magic != (0xA1B23C4D if extra else 0xA1B2C3D4):
                fail("%s: magic %08x" % (name, magic))
            if struct.unpack("<I", hdr[20:24])[0] != code:
                fail("%s: link type %d, want %d" %
                     (name, struct.unpack("<I", hdr[20:24])[0], code))
            check(pcap, truth, expect=["ms17-010", "amplification"])
    for vl in ("100", "100,200"):
        pcap, truth = gen(o, "vlan" + vl.replace(",", "_"),
                          ["--vlan", vl, "--duration", "3", "--rate", "300",
                           "--attack", "scan-vertical:at=1,count=30"])
        if not pcap:
            continue
        lt, _, e, frames = chk.read_pcap(pcap)
        ids = set()
        for _, f, _, _ in frames[:50]:
            _, v = chk.decode(lt, e, f, [], 0)
            ids.add(tuple(v))
        if ids != {tuple(int(x) for x in vl.split(","))}:
            fail("--vlan %s: frames carry %s" % (vl, sorted(ids)))
        check(pcap, truth, expect=["scan-vertical"])


def case_benign(o):
    pcap, truth = gen(o, "benign", ["--seed", "5", "--duration", "15",
                                    "--rate", "1500", "--hosts", "150"])
    if not pcap:
        return
    check(pcap, truth)
    if rows_of(truth):
        fail("benign profile wrote truth rows")
    pkts = chk.load(pcap, [])[2]
    n = len(pkts)
    small = sum(1 for p in pkts if p.l3len <= 80)
    full = sum(1 for p in pkts if p.l3len >= 1400)
    if not (0.2 < small / n < 0.6 and 0.2 < full / n < 0.7):
        fail("size mix: %d of %d <= 80 bytes, %d >= 1400" % (small, n, full))
    rate = n / 15.0
    if not 1500 * 0.6 < rate < 1500 * 1.5:
        fail("benign rate %.0f packets/s for --rate 1500" % rate)
    protos = collections.Counter()
    for p in pkts:
        if p.sport is not None:
            protos[(p.proto, min(p.sport, p.dport))] += 1
        else:
            protos[(p.proto, None)] += 1
    for want in [(6, 80), (6, 443), (6, 445), (6, 22), (6, 88), (6, 389),
                 (17, 53), (17, 123), (1, None)]:
        if protos[want] == 0:
            fail("no benign traffic of %s" % (want,))
    if not any(p.ver == 6 for p in pkts):
        fail("no IPv6")
    # the backup server and the DC reach hosts on 445 in turn, all answer
    # (backup sessions copy whole files: fewer of them in 15 s)
    for sweeper, least in (("10.20.0.20", 1), ("10.20.0.5", 3)):
        syn, ok = set(), set()
        for p in pkts:
            if p.proto == 6 and str(p.src) == sweeper and p.dport == 445 and \
                    p.flags & 0x12 == 0x02:
                syn.add(str(p.dst))
            if p.proto == 6 and str(p.dst) == sweeper and p.sport == 445 and \
                    p.flags & 0x12 == 0x12:
                ok.add(str(p.src))
        if len(syn) < least or syn != ok:
            fail("%s: 445 to %d hosts, %d answered" % (sweeper, len(syn),
                                                       len(ok)))
    # SMB2 negotiate towards the file server, DNS recursion to outside
    conns = chk.streams(pkts, 445)
    negs = sum(1 for k, c in conns.items() if str(k[2]) == "10.20.0.10" and
               c["c2s"][4:8] in (b"\xfeSMB", b"\xffSMB"))
    # sessions carry whole files (1-6 of them, up to 25 MB): a few per
    # 15 s at this rate
    if negs < 2:
        fail("only %d SMB sessions to the file server" % negs)
    up = sum(1 for p in pkts if p.proto == 17 and p.dport == 53 and
             str(p.src) in ("10.20.0.53", "10.20.0.54"))
    if up == 0:
        fail("the resolvers never asked outside")
    # every DNS answer well formed: A records public, names where names
    # belong, lengths that add up; a recursed answer reaches the client
    # with the records the resolver was given
    bad, answers, given = 0, 0, {}
    for p in pkts:
        if p.proto == 17 and p.sport == 53 and p.payload[2:3] and \
                p.payload[2] & 0x80:
            answers += 1
            errs = chk.dns_validate(p.payload)
            if errs and bad < 5:
                fail("frame %d: DNS answer: %s" % (p.n, "; ".join(errs)))
            bad += bool(errs)
            q = chk.dns_qname(p.payload)
            recs = p.payload[12:].split(b"\x00\x00\x29")[0]
            if str(p.dst) in ("10.20.0.53", "10.20.0.54"):
                given[(q[2], q[3])] = recs
            elif (q[2], q[3]) in given and given.pop((q[2], q[3])) != recs:
                fail("frame %d: the resolver changed the records of %s" %
                     (p.n, q[2]))
    if answers < 100:
        fail("only %d DNS answers" % answers)
    # the newer classes: QUIC whose Initials decrypt with the keys of RFC
    # 9001, calls (RTP), LAN discovery, the Kerberos pre-authentication
    # dance, NTLMSSP in the SMB2 session setups
    probs = []
    info = chk.quic_check(pkts, probs, 1, "benign quic")
    for p_ in probs[:5]:
        fail(p_)
    print("benign quic: " + info)
    rtp = sum(1 for p in pkts if p.proto == 17 and len(p.payload) == 172 and
              p.payload[:1] == b"\x80")
    if rtp < 100:
        fail("only %d RTP packets" % rtp)
    if not any(p.proto == 17 and str(p.dst) in ("224.0.0.251", "ff02::fb",
                                                "239.255.255.250")
               for p in pkts):
        fail("no mDNS or SSDP")
    codes = collections.Counter()
    for key, c in chk.streams(pkts, 88).items():
        if len(c["s2c"]) > 4:
            codes[chk.krb_error_code(c["s2c"][4:]) or c["s2c"][4]] += 1
    if codes[25] == 0 or codes[0x6B] == 0 or codes[0x6D] == 0:
        fail("Kerberos: PREAUTH_REQUIRED, AS-REP, TGS-REP: %s" % dict(codes))
    auth = sum(1 for k, c in conns.items()
               if b"NTLMSSP\x00\x03\x00\x00\x00" in c["c2s"])
    if auth < 2:
        fail("only %d SMB sessions with an NTLMSSP AUTHENTICATE" % auth)


ATTACKS2 = [
    "service-scan:at=1,port=22,count=22",
    "service-scan:at=1,count=22,src=67.43.156.1",
    "brute-force:at=2,proto=smb1,attempts=10,success=1",
    "brute-force:at=2,proto=smb2,attempts=10,src=10.20.1.20",
    "brute-force:at=2,proto=kerberos,attempts=20",
    "brute-force:at=2,proto=kerberos,attempts=8,transport=tcp,success=1,"
    "src=10.20.1.21",
    "brute-force:at=2,proto=ssh,attempts=9,rate=3",
    "brute-force:at=2,proto=ssh,attempts=4,success=1,rate=3,src=67.43.156.1",
    "brute-force:at=2,proto=rdp,attempts=6,rate=3",
    "brute-force:at=2,proto=rdp,attempts=4,success=1,rate=3,src=67.43.156.1",
    "exfiltration:at=3,size=30M,duration=20",
    "c2-callback:at=4,mode=tls,beacons=4,interval=2",
    "c2-callback:at=4,mode=raw,beacons=3,interval=2,victim=10.20.0.41",
    "intel:at=5",
    "intel:at=6,type=http,url=http://bad.example.org/gate.php,"
    "domain=bad.example.org,near=0",
    "intel:at=6,type=tls,sni=evil.example.net,near=0",
    "intel:at=6,type=dns,domain=c2.example.info.,near=1",
    "intel:at=6,type=ip,ip=81.2.69.162,near=0",
    "amplification:at=7,proto=isakmp,port=4500,rate=2000,duration=0.2,"
    "reflectors=100",
    "amplification:at=7,proto=isakmp,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=7.5,proto=bacnet,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=7.5,proto=dahua,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=8,proto=ard,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=8,proto=openvpn,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=8.5,proto=rdp,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=8.5,proto=dtls,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=9,proto=coap,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=9,proto=mdns,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=9.5,proto=slp,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=9.5,proto=tftp,rate=2000,duration=0.2,reflectors=100,"
    "dst=10.20.0.81",
    "amplification:at=10,port=8472,rate=2000,duration=0.2,reflectors=100",
    "amplification:at=10.5,proto=ntp,fragments-only=1,rate=2000,duration=0.2,"
    "reflectors=100,dst=10.20.0.82",
    "amplification:at=11,proto=memcached,fragments-only=1,first=0.3,"
    "rate=2000,duration=0.2,reflectors=100,dst=10.20.0.81",
    "scan-vertical:at=12,count=5000,rate=5000",
    "smb-worm:at=13,count=30,rate=30,open=0.3",
]


def case_attacks2(o):
    args = ["--profile", "none", "--seed", "4", "--hosts", "80"]
    for a in ATTACKS2:
        args += ["--attack", a]
    pcap, truth = gen(o, "attacks2", args)
    if not pcap:
        return
    check(pcap, truth, expect=["service-scan", "brute-force", "exfiltration",
                               "c2-callback", "intel", "intel-near-miss",
                               "amplification", "scan-vertical", "smb-worm"])
    rows = rows_of(truth)
    det = collections.Counter(r["detector"] for r in rows)
    for d in ["scan.service", "smb.brute-force", "kerberos.brute-force",
              "ssh.brute-force", "rdp.brute-force", "exfil.volume",
              "c2.callback", "intel.match", "none"]:
        if det[d] == 0:
            fail("no truth row for detector %s" % d)
    protos = {r["detail"]["proto"] for r in rows if r["kind"] ==
              "amplification"}
    for pr in ["isakmp", "isakmp-natt", "bacnet", "dahua", "ard", "openvpn",
               "rdp", "dtls", "coap", "mdns", "slp", "tftp", "generic"]:
        if pr not in protos:
            fail("no amplification row for %s" % pr)
    ports = {r["detail"]["port"] for r in rows if r["kind"] == "amplification"}
    if not {"500", "4500", "8472"} <= ports:
        fail("amplification ports %s" % sorted(ports))
    # the fast 5000-port scan must not also be a SYN flood, the worm not a
    # horizontal scan; both say so
    for r in rows:
        if r["kind"] == "scan-vertical" and \
                r["detail"].get("not") != "ddos.syn-flood":
            fail("scan row without not=ddos.syn-flood")
        if r["kind"] == "smb-worm" and \
                r["detail"].get("not") != "scan.horizontal":
            fail("worm row without not=scan.horizontal")
    # the intel rows: every variant of the default domain
    var = {r["detail"].get("variant") for r in rows if r["kind"] == "intel"}
    for v in ["exact", "subdomain", "mixed-case", "host", "host-trailing-dot",
              "sni", "sni-trailing-dot", "url"]:
        if v not in var:
            fail("no intel variant %s" % v)
    # IPv6 forms of the ones that take it
    pcap6, truth6 = gen(o, "attacks2-6", [
        "--profile", "none", "--seed", "4", "--hosts", "80", "--attack",
        "service-scan:at=1,port=22,count=11,ipv6=1,dst=2001:db8:20::16,"
        "src=2001:218::1",
        "--attack", "brute-force:at=2,proto=ssh,attempts=3,rate=3,ipv6=1,"
        "dst=2001:db8:20::16"])
    if pcap6:
        check(pcap6, truth6, expect=["service-scan", "brute-force"])


def case_eternal(o):
    args = ["--profile", "none", "--seed", "6", "--hosts", "40"]
    specs = [
        "ms17-010:at=1,variant=eternalromance,implant=1,src=89.160.20.113",
        "ms17-010:at=1,variant=eternalromance,vuln=0,dst=10.20.0.10,"
        "src=89.160.20.114",
        "ms17-010:at=2,variant=eternalsynergy,implant=1,c2=tls,beacons=3,"
        "beacon_interval=3,src=89.160.20.115",
        "ms17-010:at=2,variant=eternalsynergy,vuln=0,dst=10.20.0.10,"
        "src=89.160.20.116",
        "ms17-010:at=3,variant=eternalchampion,implant=1,c2=raw,beacons=2,"
        "beacon_interval=2,dst=10.20.0.41,src=89.160.20.117",
        "ms17-010:at=3,variant=eternalchampion,vuln=0,dst=10.20.0.10,"
        "src=89.160.20.118",
        "ms17-010:at=4,implant=1,dst=10.20.0.80|10.20.0.82,victim_gap=6,"
        "c2=tls,beacons=2,beacon_interval=2,src=89.160.20.119",
        "ms17-010:at=5,variant=eternalromance,pipe=spoolss,ipv6=1,"
        "src=2001:218::1",
    ]
    for a in specs:
        args += ["--attack", a]
    pcap, truth = gen(o, "eternal", args)
    if not pcap:
        return
    check(pcap, truth, expect=["ms17-010", "doublepulsar", "c2-callback"])
    rows = rows_of(truth)
    got = collections.Counter((r["detail"].get("variant"),
                               r["detail"].get("outcome")) for r in rows
                              if r["kind"] == "ms17-010")
    for v in ["eternalromance", "eternalsynergy", "eternalchampion"]:
        for out in ["vulnerable", "patched"]:
            if got[(v, out)] == 0:
                fail("no %s %s row" % (v, out))
    two = [r for r in rows if r["kind"] == "doublepulsar" and
           r["detail"].get("victims") == "2"]
    if len(two) != 2 or two[0]["target"] == two[1]["target"] or \
            two[0]["attacker"] != two[1]["attacker"] or \
            not two[0]["end"] < two[1]["start"]:
        fail("DoublePulsar on two victims one after the other: %s" %
             [(r["target"], r["start"]) for r in two])
    c2 = [r for r in rows if r["kind"] == "c2-callback"]
    if len(c2) < 4:
        fail("%d C2 rows, want one per implanted victim" % len(c2))


LOOKALIKES = [
    "dicom:at=1,duration=1",
    "backup-job:at=1,size=20M",
    "backup-job:at=1,size=8M,dst=81.2.69.200,port=443",
    "vm-snapshot:at=1,size=20M",
    "wanted-upload:at=1,size=20M,duration=10",
    "busy-resolver:at=1,duration=1",
    "lan-discovery:at=1,duration=2",
    "smb-logons:at=1,count=20,typos=0.3",
    "kerberos-logons:at=1,count=20,typos=0.3",
    "vuln-scanner:at=1,hosts=10,ports=20",
    "admin-sessions:at=1,count=2,window=2,length=20",
    "voip:at=1,calls=2,length=8,window=1",
    "quic:at=1,sessions=5,window=1",
]


def case_lookalikes(o):
    args = ["--profile", "none", "--seed", "8", "--hosts", "60"]
    for a in LOOKALIKES:
        args += ["--benign", a]
    pcap, truth = gen(o, "lookalikes", args)
    if not pcap:
        return
    kinds = sorted({a.split(":")[0] for a in LOOKALIKES})
    check(pcap, truth, expect=kinds)
    for r in rows_of(truth):
        if r["detector"] != "none":
            fail("line %d: look-alike row with detector %s" % (r["line"],
                                                               r["detector"]))
        if r["kind"] in ("vuln-scanner", "wanted-upload") and \
                "exempt" not in r["detail"]:
            fail("line %d: %s without exempt=" % (r["line"], r["kind"]))
    # a look-alike on the command line of the benign profile
    pcap, truth = gen(o, "lookalike-benign", [
        "--seed", "8", "--duration", "6", "--rate", "800", "--hosts", "60",
        "--benign", "busy-resolver:at=2,duration=1,rate=800"])
    if pcap:
        check(pcap, truth, expect=["busy-resolver"])


def case_snaplen(o):
    base = ["--seed", "9", "--duration", "8", "--rate", "500", "--hosts", "40",
            "--attack", "exfiltration:at=1,size=12M,duration=6"]
    full = gen(o, "full", base)
    cut = gen(o, "cut", base + ["--snaplen", "96"])
    if None in full + cut:
        return
    check(*cut, expect=["exfiltration"])
    _, _, _, a = chk.read_pcap(full[0])
    _, _, _, b = chk.read_pcap(cut[0])
    if len(a) != len(b):
        fail("--snaplen changed the packet count: %d vs %d" % (len(a),
                                                              len(b)))
    for (ta, fa, wa, ca), (tb, fb, wb, cb) in zip(a, b):
        if ta != tb or wa != wb or cb != min(wa, 96) or fb != fa[:96]:
            fail("--snaplen: frame at %d: wire %d/%d caplen %d" % (ta, wa, wb,
                                                                  cb))
            break
    if chk.read_pcap(cut[0])[2] and open(cut[0], "rb").read(24)[16:20] != \
            struct.pack("<I", 96):
        fail("--snaplen: pcap header snaplen")
    ra = [(r["start"], r["end"], r["detail"]) for r in rows_of(full[1])]
    rb = [(r["start"], r["end"], r["detail"]) for r in rows_of(cut[1])]
    if ra != rb:
        fail("--snaplen changed the truth rows")


def case_long_benign(o):
    pcap, truth = gen(o, "long", ["--profile", "long-benign", "--duration",
                                  "1500", "--hosts", "60", "--seed", "10"])
    if not pcap:
        return
    kinds = ["dicom", "backup-job", "vm-snapshot", "wanted-upload",
             "busy-resolver", "lan-discovery", "smb-logons",
             "kerberos-logons", "vuln-scanner", "admin-sessions", "voip",
             "quic"]
    check(pcap, truth, expect=kinds, extra=["--quick"])
    rows = rows_of(truth)
    bad = [r for r in rows if r["detector"] != "none"]
    if bad:
        fail("long-benign wrote attack rows: %s" % [r["kind"] for r in bad])
    lines = open(truth).read()
    if "not in the capture" in lines:
        fail("long-benign: look-alikes outside the capture")
    span = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    if span < 1000e9:
        fail("long-benign: rows span %.0f s of 1500" % (span / 1e9))


def case_bench_hard(o):
    pcap, truth = gen(o, "hard", ["--profile", "bench-hard", "--packets",
                                  "300000"])
    if not pcap:
        return
    check(pcap, truth, extra=["--quick"])
    pkts = chk.load(pcap, [])[2]
    flows, outside, large = set(), set(), 0
    for p in pkts:
        if p.l3len >= 1386:  # 1400 bytes on Ethernet
            large += 1
        flows.add((p.proto,) + tuple(sorted([(p.src, p.sport),
                                             (p.dst, p.dport)], key=str)))
        for a in (p.src, p.dst):
            if not a.is_private and not a.is_multicast and \
                    not str(a).startswith("2001:db8:"):
                outside.add(a)
    n = len(pkts)
    # 300 000 flows in 5 million packets (measured: docs/trafficgen.md); the
    # first seconds have fewer long sessions, so the share is higher here
    if len(flows) < 0.06 * n:
        fail("bench-hard: %d flows in %d packets" % (len(flows), n))
    if large < 0.3 * n:
        fail("bench-hard: %d large frames of %d" % (large, n))
    if len(outside) < 3000:
        fail("bench-hard: %d outside addresses" % len(outside))
    if not any(r["kind"] == "scan-horizontal" for r in rows_of(truth)):
        fail("bench-hard: the attack mix is missing")


def case_demo(o):
    pcap, truth = gen(o, "demo", ["--profile", "demo", "--seed", "2026"])
    if not pcap:
        return
    check(pcap, truth, expect=KINDS, extra=["--quick"])


def case_cli(o):
    bad = [
        ["--profile", "nope"],
        ["--attack", "teleport"],
        ["--attack", "ms17-010:colour=red"],
        ["--attack", "syn-flood:rate=-5"],
        ["--attack", "ms17-010:src=89.160.20.112,dst=2001:db8:20::1"],
        ["--linktype", "token-ring"],
        ["--linktype", "raw", "--vlan", "5"],
        ["--vlan", "0"],
        ["--duration", "0"],
        ["--profile", "bench", "--packets", "0"],
    ]
    for args in bad:
        out = os.path.join(o.work, "bad.pcap")
        if os.path.exists(out):
            os.remove(out)
        p = subprocess.run([o.trafficgen] + args + ["-o", out],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 2 or not p.stderr.strip():
            fail("%s: exit %d, stderr %r" % (args, p.returncode, p.stderr))
        if os.path.exists(out):
            fail("%s: left %s behind" % (args, out))
    p = subprocess.run([o.trafficgen, "--help"], capture_output=True,
                       text=True)
    if p.returncode != 0 or "--attack" not in p.stdout:
        fail("--help")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    os.makedirs(o.work, exist_ok=True)
    cases = {"same-seed": case_same_seed,
             "attacks": lambda x: case_attacks(x, False),
             "attacks-ipv6": lambda x: case_attacks(x, True),
             "linktypes": case_linktypes, "benign": case_benign,
             "demo": case_demo, "cli": case_cli,
             "attacks2": case_attacks2, "eternal": case_eternal,
             "lookalikes": case_lookalikes, "snaplen": case_snaplen,
             "long-benign": case_long_benign, "bench-hard": case_bench_hard}
    if o.case not in cases:
        print("unknown case " + o.case)
        return 2
    cases[o.case](o)
    print("%s: %s" % (o.case, "FAIL" if FAILS else "ok"))
    if not FAILS:  # keep the captures of a failed case for a look
        for f in os.listdir(o.work):
            if f.endswith(".pcap"):
                os.remove(os.path.join(o.work, f))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
