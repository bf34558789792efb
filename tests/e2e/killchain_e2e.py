#!/usr/bin/env python3
"""killchain_e2e.py -- the stages of one intrusion through the real binary and
its store, one case per run.

  chain    EternalBlue with the DoublePulsar implant and its TLS callback, then
           300 MiB leaving the victim: smb.ms17-010, smb.doublepulsar,
           c2.callback (naming the compromise it follows) and exfil.volume
           are all in ONE incident of the victim, typed by its last stage
           (information-content-security / data-exfiltration), with the
           exploiter, the controller and the receiver among its attackers
  snaplen  the same upload captured with a 128-byte snap length: counted from
           wire lengths, exfil.volume fires with the bytes sent; with the
           destination exempt in the configuration it does not

Exit 0 pass, 1 fail.
"""
import argparse, json, os, subprocess, sys

fails = []


def check(ok, msg):
    if not ok:
        fails.append(msg)
    return ok


def gen(o, name, args):
    pcap = os.path.join(o.work, name + ".pcap")
    subprocess.run([o.trafficgen, "-q", "-o", pcap] + args, check=True, timeout=300)
    return pcap


def analyze(o, name, args):
    out = os.path.join(o.work, name + ".eve.json")
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([o.ward, "analyze", "--no-progress", "-q", "-o", out] + args,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"ward exited {p.returncode}: {p.stderr[-600:]}")
    events = [json.loads(l) for l in open(out, encoding="utf-8")] if os.path.exists(out) else []
    return [e for e in events if e.get("event_type") == "alert"]


def case_chain(o):
    pcap = gen(o, "chain", ["--seed", "5", "--profile", "benign", "--duration", "150",
                            "--hosts", "60", "--attack", "ms17-010:at=10,implant=1,c2=tls",
                            "--attack", "exfiltration:at=40,src=10.20.0.40,size=300M,duration=90"])
    db = os.path.join(o.work, "chain.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    alerts = analyze(o, "chain", ["--db", db, pcap])
    c2 = [a for a in alerts if a["ward"]["detector"] == "c2.callback"]
    check(c2 and c2[0]["dest_ip"] == "10.20.0.40" and c2[0]["ward"]["after"] in
          ("smb.ms17-010", "smb.doublepulsar"), "c2.callback after the compromise: "
          + json.dumps([a["ward"] for a in c2])[:300])
    p = subprocess.run([o.ward, "incidents", "list", "--json", "--db", db], capture_output=True,
                       text=True, timeout=60)
    if not check(p.returncode == 0, f"incidents list: {p.stderr[-300:]}"):
        return
    incs = json.loads(p.stdout)
    incs = incs.get("incidents", incs) if isinstance(incs, dict) else incs
    mine = []
    for i in incs:
        x = subprocess.run([o.ward, "incidents", "export", i["id"], "--db", db],
                           capture_output=True, text=True, timeout=60)
        d = json.loads(x.stdout)
        dets = {a["detector"] for a in d["alerts_detail"]}
        if "c2.callback" in dets or "exfil.volume" in dets:
            mine.append((d, dets))
    if not check(len(mine) == 1, f"one incident holds the later stages, got {len(mine)}"):
        return
    d, dets = mine[0]
    check({"smb.ms17-010", "smb.doublepulsar", "c2.callback", "exfil.volume"} <= dets,
          f"the four stages in one incident: {sorted(dets)}")
    check(d["type"] == "data-exfiltration", f"typed by its last stage: {d['type']}")
    ips = {a["ip"] for a in d["attackers"]}
    check("89.160.20.112" in ips and len(ips) >= 3, f"attackers {sorted(ips)}")


def case_snaplen(o):
    pcap = gen(o, "snap", ["--seed", "6", "--profile", "benign", "--duration", "110",
                           "--hosts", "40", "--snaplen", "128", "--attack",
                           "exfiltration:at=5,dst=198.51.100.77,size=300M,duration=100"])
    alerts = [a for a in analyze(o, "snap", [pcap]) if a["ward"]["detector"] == "exfil.volume"]
    ends = [a for a in alerts if a["ward"]["state"] == "end"]
    check(ends and ends[-1]["ward"]["bytes_out"] >= 300 * 1024 * 1024,
          "exfil.volume from wire lengths: " + json.dumps([a["ward"] for a in ends])[:300])
    check(all(a["src_ip"] == "198.51.100.77" for a in alerts), "the receiver is the source")
    cfg = os.path.join(o.work, "exempt.yaml")
    with open(cfg, "w") as f:
        f.write("detect:\n  exfil:\n    exempt: 198.51.100.0/24\n")
    again = [a for a in analyze(o, "snap-exempt", ["-c", cfg, pcap])
             if a["ward"]["detector"] == "exfil.volume"]
    check(not again, f"an exempt archive is never reported: {len(again)} alerts")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    os.makedirs(o.work, exist_ok=True)
    {"chain": case_chain, "snaplen": case_snaplen}[o.case](o)
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
