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
  sightings  a STIX bundle feed lists two callback addresses of a national
           CERT's network; `ward analyze --db` -> `ward notify` sends that
           CERT (format stix) one notification per incident. Each bundle
           passes the OASIS schemas and carries an indicator and a sighting
           per matched indicator (sighting_of_ref, first/last seen and
           count from the alerts, where_sighted_refs the sender,
           observed_data_refs the observed data holding the address). The
           feed's indicator is referenced by its own id and pattern; the one
           whose pattern also names a protected address of the facility is
           given as an indicator of ward's own (a pattern built from the
           matched value, the feed's id as external reference), and no
           message names a protected address or the facility
           (tests/unit/notify/leak_check.py). The text names the indicator
           and its feed, and the incidents' JSON keeps it per attack

Exit 0 pass, 1 fail.
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("WARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
KILL = "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com"
LEAK = os.path.join(ROOT, "tests", "unit", "notify", "leak_check.py")
STIX_VALIDATE = os.path.join(ROOT, "tests", "unit", "notify", "stix_validate.py")
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


FEED_A = "indicator--0d7e1f5a-3c2b-4e8f-9a6d-1b2c3d4e5f60"
FEED_B = "indicator--5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
FACILITY = "St. Example University Hospital"


def case_sightings(o):
    import email, email.policy
    a_ip, b_ip, hidden = "216.160.83.57", "216.160.83.58", "10.20.250.250"
    pcap, rows = gen(o, "sightings", ["--seed", "12", "--profile", "benign", "--duration", "25",
                                      "--hosts", "60",
                                      "--attack", f"intel:at=3,type=ip,ip={a_ip}",
                                      "--attack", f"intel:at=6,type=ip,ip={b_ip}"])
    feed = os.path.join(o.work, "callbacks.stix.json")
    pat_a = f"[ipv4-addr:value = '{a_ip}']"
    json.dump({"type": "bundle", "id": "bundle--8e2e1d3c-4b0a-4c55-9c1e-6f0a2b3c4d5e", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": FEED_A,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
         "pattern_type": "stix", "pattern": pat_a, "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "spec_version": "2.1", "id": FEED_B,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "pattern_type": "stix",
         "pattern": f"[ipv4-addr:value = '{b_ip}'] OR [ipv4-addr:value = '{hidden}']",
         "valid_from": "2026-01-01T00:00:00Z"}]}, open(feed, "w"))
    cfg = os.path.join(o.work, "ward.yaml")
    demo = open(os.path.join(ROOT, "etc", "demo.yaml")).read()
    demo = demo.replace("detect:\n", "detect:\n  intel:\n    builtin: false\n", 1)
    with open(cfg, "w") as f:
        f.write(demo + f"attribution:\n  directory: {ROOT}/etc/demo-directory.yaml\n"
                "notify:\n  from: ward@cert.example.org\n  sender_name: Example CERT\n")
    db, box = os.path.join(o.work, "ward.db"), os.path.join(o.work, "outbox")
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    os.makedirs(box, exist_ok=True)
    for n in os.listdir(box):
        os.unlink(os.path.join(box, n))
    p, alerts = analyze(o, "sightings", ["-c", cfg, "--db", db, "--intel", feed, pcap])
    check(p.returncode == 0, f"ward analyze exited {p.returncode}: {p.stderr[-800:]}")
    check(any(a["ward"].get("indicator_stix") for a in alerts),
          "alerts carry the feed's own indicator")
    ex = subprocess.run([o.ward, "incidents", "list", "--db", db, "--json"],
                        capture_output=True, text=True)
    incs = json.loads(ex.stdout) if ex.returncode == 0 else []
    kept = {d["intel"]["ref"]: d["intel"] for i in incs for d in i["alerts_detail"]
            if d.get("intel")}
    check(set(kept) == {FEED_A, FEED_B}, f"the store keeps the indicator per attack: {kept}")
    check(all(k["feed"] == "callbacks.stix.json" and k["type"] == "ipv4-addr"
              and k["field"] == "dest_ip" for k in kept.values()), f"intel kept: {kept}")
    p = subprocess.run([o.ward, "notify", "-c", cfg, "--db", db, "--outbox", box],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"ward notify exited {p.returncode}: {p.stderr[-800:]}")
    bundles = {}
    for name in sorted(os.listdir(box)):
        path = os.path.join(box, name)
        m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
        if "us-cert.demo@" not in str(m["To"]):
            continue
        r = subprocess.run(["/usr/bin/python3", LEAK, path, "--internal", FACILITY,
                            "--internal", "10.20.", "--internal", hidden,
                            "--net", "10.20.0.0/16"], capture_output=True, text=True)
        check(r.returncode == 0, f"{m['Subject']}: leaks: {r.stdout.strip()}")
        body = m.get_body(preferencelist=("plain",)).get_content()
        for part in m.walk():
            if (part.get_filename() or "").endswith("-stix.json"):
                doc = part.get_content()
                doc = doc.decode() if isinstance(doc, bytes) else doc
                bp = os.path.join(o.work, part.get_filename())
                open(bp, "w").write(doc)
                bundles[bp] = (json.loads(doc), body)
    check(len(bundles) == 2, f"two STIX notifications to the CERT, got {len(bundles)}")
    if bundles:
        r = subprocess.run(["/usr/bin/python3", STIX_VALIDATE,
                            os.path.join(SHARED, "schemas", "stix", "validate.py"), *bundles],
                           capture_output=True, text=True)
        check(r.returncode == 0, "STIX schema: " + r.stdout[-2000:] + r.stderr[-500:])
    seen_feed = set()
    for bp, (b, body) in bundles.items():
        objs = {x["id"]: x for x in b["objects"]}
        sender = [x for x in objs.values() if x["type"] == "identity"
                  and x.get("name") == "Example CERT"]
        od = [x for x in objs.values() if x["type"] == "observed-data"]
        intel = [x for x in objs.values() if x["type"] == "sighting"
                 and x.get("description", "").startswith("Seen in")]
        check(len(intel) == 1, f"{bp}: one sighting of the matched indicator, {len(intel)}")
        for s in intel:
            ind = objs.get(s["sighting_of_ref"])
            check(ind and ind["type"] == "indicator", f"{bp}: sighting_of_ref resolves")
            check(sender and s["where_sighted_refs"] == [sender[0]["id"]],
                  f"{bp}: sighted where the sender is")
            check(od and s["observed_data_refs"] == [od[0]["id"]], f"{bp}: observed data")
            check(s["count"] >= 1 and s["first_seen"] <= s["last_seen"], f"{bp}: {s}")
            if not ind:
                continue
            if ind["id"] == FEED_A:
                seen_feed.add("A")
                check(ind["pattern"] == pat_a and ind["created"] == "2026-01-01T00:00:00.000Z"
                      and ind["modified"] == "2026-01-02T00:00:00.000Z",
                      f"{bp}: the feed's own indicator as it gave it: {ind}")
                check(a_ip in body and "callbacks.stix.json" in body and FEED_A in body,
                      f"{bp}: the text names the indicator and its feed")
            else:
                seen_feed.add("B")
                check(ind["pattern"] == f"[ipv4-addr:value = '{b_ip}']",
                      f"{bp}: a pattern of ward's own for B: {ind.get('pattern')}")
                check([e.get("external_id") for e in ind.get("external_references", [])]
                      == [FEED_B], f"{bp}: the feed's id as a reference: {ind}")
            addrs = [objs[r]["value"] for r in od[0]["object_refs"] if r in objs
                     and objs[r]["type"] == "ipv4-addr"] if od else []
            check(a_ip in addrs or b_ip in addrs, f"{bp}: observed data holds the address")
    check(seen_feed == {"A", "B"}, f"both indicators sighted: {seen_feed}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    os.makedirs(o.work, exist_ok=True)
    {"builtin": case_builtin, "feeds": case_feeds, "sightings": case_sightings}[o.case](o)
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
