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
            "--attack", "syn-flood:at=4,rate=2000,duration=1"]
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
    # the backup server and the DC reach many hosts on 445, all answer
    for sweeper in ("10.20.0.20", "10.20.0.5"):
        syn, ok = set(), set()
        for p in pkts:
            if p.proto == 6 and str(p.src) == sweeper and p.dport == 445 and \
                    p.flags & 0x12 == 0x02:
                syn.add(str(p.dst))
            if p.proto == 6 and str(p.dst) == sweeper and p.sport == 445 and \
                    p.flags & 0x12 == 0x12:
                ok.add(str(p.src))
        if len(syn) < 3 or syn != ok:
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
             "demo": case_demo, "cli": case_cli}
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
