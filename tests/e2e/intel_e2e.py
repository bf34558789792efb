#!/usr/bin/env python3
"""intel_e2e.py -- intel.match through the real binary, one case per run.

  builtin  no feed given: the built-in WannaCry kill-switch feed fires on the
           generator's DNS queries (exact, subdomain, mixed case), HTTP Host
           (trailing dot) and TLS SNI (trailing dot) of one workstation: one
           attack per (host, indicator), never on the near misses (a name
           sharing only a suffix, the punycode look-alike); events are EVE
  feeds    a STIX 2.1 bundle (domain), a MISP event (ip-dst) and a CSV (a URL,
           and lines that are no indicator) given with --intel, the built-in
           feed turned off in the configuration: every listed indicator fires,
           naming its feed and field; the bad CSV lines are reported on
           standard error with their line numbers while the good ones load; a
           feed file that cannot be read is a configuration error (exit 3)

Exit 0 pass, 1 fail.
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("WARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
KILL = "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com"
fails = []


def check(ok, msg):
    if not ok:
        fails.append(msg)
    return ok


def gen(o, name, args):
    pcap = os.path.join(o.work, name + ".pcap")
    truth = os.path.join(o.work, name + ".truth.tsv")
    subprocess.run([o.trafficgen, "-q", "-o", pcap, "--truth", truth] + args, check=True,
                   timeout=120)
    rows = [l.rstrip("\n").split("\t") for l in open(truth, encoding="utf-8")
            if l.strip() and not l.startswith("#") and not l.startswith("start_ns")]
    return pcap, rows


def analyze(o, name, args):
    out = os.path.join(o.work, name + ".eve.json")
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([o.ward, "analyze", "--no-progress", "-q", "-o", out] + args,
                       capture_output=True, text=True, timeout=300)
    events = [json.loads(l) for l in open(out, encoding="utf-8")] if os.path.exists(out) else []
    v = os.path.join(SHARED, "schemas", "eve", "validate.py")
    if os.path.exists(v) and events:
        r = subprocess.run([sys.executable, v, out], capture_output=True, text=True)
        check(r.returncode == 0, "EVE schema: " + r.stdout[-2000:] + r.stderr[-500:])
    alerts = [e for e in events if e.get("event_type") == "alert"
              and e["ward"].get("detector") == "intel.match"]
    return p, alerts


def starts(alerts):
    return [a for a in alerts if a["ward"]["state"] == "start"]


def case_builtin(o):
    pcap, rows = gen(o, "builtin", ["--seed", "11", "--profile", "benign", "--duration", "20",
                                    "--hosts", "60", "--attack", "intel:at=3,near=1"])
    p, alerts = analyze(o, "builtin", [pcap])
    check(p.returncode == 0, f"ward exited {p.returncode}: {p.stderr[-800:]}")
    host = [r for r in rows if r[3] == "intel.match"][0][5]
    mine = [a for a in starts(alerts) if a.get("dest_ip") == host]
    check(len(mine) == 1, f"expected one START for {host} and the kill switch, got {len(mine)}")
    for a in alerts:
        w = a["ward"]
        check(w["indicator"] == KILL, f"indicator {w['indicator']}")
        check(w["feed"] == "builtin:wannacry", f"feed {w['feed']}")
        check(w["seen"].lower().rstrip(".").endswith(KILL), f"seen {w['seen']} is a near miss")
        check(w["class"] == "malicious-code", f"class {w['class']}")
    ends = [a for a in alerts if a["ward"]["state"] == "end" and a.get("dest_ip") == host]
    check(ends and ends[-1]["ward"]["hits"] >= 7,
          "the host's DNS, HTTP and TLS hits count in one attack: "
          + str([a["ward"].get("hits") for a in ends]))


def case_feeds(o):
    dom = "cdn.badcontent.example"
    pcap, rows = gen(o, "feeds", ["--seed", "12", "--profile", "benign", "--duration", "25",
                                  "--hosts", "60",
                                  "--attack", f"intel:at=3,domain={dom},near=1",
                                  "--attack", "intel:at=12,type=http,domain=other.example.net,"
                                  "url=http://files.example.org/drop/payload.bin"])
    stix = os.path.join(o.work, "feed.stix.json")
    json.dump({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--dom",
         "pattern_type": "stix", "pattern": "[domain-name:value = 'CDN.BadContent.Example.']",
         "valid_from": "2026-01-01T00:00:00Z"}]}, open(stix, "w"))
    misp = os.path.join(o.work, "event.misp.json")
    json.dump({"Event": {"id": "7", "uuid": "ev-7", "info": "callback addresses", "Attribute": [
        {"type": "ip-dst", "value": "67.43.156.1", "to_ids": True, "uuid": "attr-ip"}]}},
        open(misp, "w"))
    csv = os.path.join(o.work, "list.csv")
    with open(csv, "w") as f:
        f.write("type,value,description\n")
        f.write("url,http://files.example.org/drop/payload.bin,dropper\n")
        f.write("domain,bad..name,broken\n")
        f.write("colour,blue\n")
    cfg = os.path.join(o.work, "ward.yaml")
    with open(cfg, "w") as f:
        f.write("detect:\n  intel:\n    builtin: false\n")
    p, alerts = analyze(o, "feeds", ["-c", cfg, "--intel", stix, "--intel", misp,
                                     "--intel", csv, pcap])
    check(p.returncode == 0, f"ward exited {p.returncode}: {p.stderr[-800:]}")
    check("list.csv:3:" in p.stderr and "list.csv:4:" in p.stderr,
          "rejected CSV lines reported with their numbers: " + p.stderr[-800:])
    check("1 indicators loaded" in p.stderr, "the good CSV line loaded: " + p.stderr[-800:])
    by_field = {}
    for a in starts(alerts):
        by_field.setdefault(a["ward"]["field"], []).append(a)
    check("dns.query" in by_field and by_field["dns.query"][0]["ward"]["feed"] == "feed.stix.json",
          f"STIX domain on DNS: {sorted(by_field)}")
    ip = by_field.get("dest_ip", [])
    check(ip and ip[0]["src_ip"] == "67.43.156.1" and ip[0]["ward"]["feed"] == "event.misp.json",
          "MISP address on a flow: " + json.dumps([a["ward"] for a in ip])[:400])
    url = by_field.get("http.url", [])
    check(url and url[0]["ward"]["indicator"] == "http://files.example.org/drop/payload.bin"
          and url[0]["ward"]["feed"] == "list.csv", "CSV URL on HTTP: " + str(sorted(by_field)))
    check(not any(a["ward"]["indicator"] == KILL for a in alerts), "builtin: false is obeyed")
    for a in alerts:
        s = a["ward"]["seen"].lower()
        check(not s.startswith("not"), f"near miss {s} matched")
    p2, _ = analyze(o, "feeds-missing", ["--intel", os.path.join(o.work, "absent.json"), pcap])
    check(p2.returncode == 3 and "absent.json" in p2.stderr,
          f"a missing feed: exit {p2.returncode}, {p2.stderr[-300:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    os.makedirs(o.work, exist_ok=True)
    {"builtin": case_builtin, "feeds": case_feeds}[o.case](o)
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
