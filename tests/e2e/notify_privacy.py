#!/usr/bin/env python3
"""notify_privacy.py --ward W --trafficgen G --work DIR -- what leaves the
facility, through the real binary on the demonstration hospital (every
attack class ward detects: scans, exploitation with an implant, a worm, a
spoofed SYN flood, DNS amplification, a volumetric flood): `ward analyze
--db` -> `ward notify --outbox`. Every message to a party outside the
facility is checked by tests/unit/notify/leak_check.py against the list
of internal strings -- the facility's name, every protected address of
every incident (targets, internal attackers, worm hosts), the home-net
prefixes -- in the raw message and every decoded attachment, and each
evidence capture attached must show no internal address in its headers
and be the capture whose SHA-256 the text gives. The amplification
incident is notified to the reflectors' parties, each told of its own
reflectors only; the facility's own team gets its incidents with the
capture as recorded. Parties from etc/demo-directory.yaml (prefix rules;
MaxMind's test databases when ../shared has them). A workstation also
calls an address listed in a STIX feed whose indicators name hosts of the
facility too (a pattern ORing the callback address with a protected one,
a protected host listed alone): the callback's CERT gets a sighting of the
indicator, and neither protected address reaches it."""
import argparse, email, email.policy, ipaddress, json, os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEAK = os.path.join(ROOT, "tests", "unit", "notify", "leak_check.py")
FACILITY = "St. Example University Hospital"
NETS = ["10.20.0.0/16", "2001:db8:20::/48"]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
    return cond


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    shutil.rmtree(o.work, ignore_errors=True)
    os.makedirs(o.work)
    w = o.work
    cfg = os.path.join(w, "cfg.yaml")
    geo = os.path.join(os.path.dirname(ROOT), "shared", "data", "geo")
    shutil.copy(os.path.join(ROOT, "etc", "demo.yaml"), cfg)
    with open(cfg, "a") as f:
        f.write(f"attribution:\n  directory: {ROOT}/etc/demo-directory.yaml\n")
        if os.path.exists(os.path.join(geo, "GeoLite2-Country-Test.mmdb")):
            f.write(f"  country_db: {geo}/GeoLite2-Country-Test.mmdb\n"
                    f"  asn_db: {geo}/GeoLite2-ASN-Test.mmdb\n")
        f.write(f"evidence:\n  dir: {w}/evidence\n"
                "notify:\n  from: ward@cert.example.org\n  sender_name: Example CERT\n")
    pcap, db, box = f"{w}/hospital.pcap", f"{w}/ward.db", f"{w}/outbox"
    os.makedirs(box)

    def ward(*args):
        p = subprocess.run([o.ward, *args], capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"ward {' '.join(args)}: exit {p.returncode}: {p.stderr[-400:]}")
        return p

    callback = "216.160.83.59"  # the US CERT's network in the demo directory
    subprocess.run([o.trafficgen, "-q", "--seed", "2026", "--profile", "demo", "-o", pcap,
                    "--attack", f"intel:at=30,type=ip,ip={callback}"], check=True)
    feed = f"{w}/callbacks.stix.json"
    json.dump({"type": "bundle", "id": "bundle--8e2e1d3c-4b0a-4c55-9c1e-6f0a2b3c4d5e",
               "objects": [
                   {"type": "indicator", "spec_version": "2.1",
                    "id": "indicator--0d7e1f5a-3c2b-4e8f-9a6d-1b2c3d4e5f60",
                    "created": "2026-01-01T00:00:00.000Z",
                    "modified": "2026-01-01T00:00:00.000Z", "pattern_type": "stix",
                    "pattern": f"[ipv4-addr:value = '{callback}'] OR "
                               "[ipv4-addr:value = '10.20.250.250']",
                    "valid_from": "2026-01-01T00:00:00Z"},
                   {"type": "indicator", "spec_version": "2.1",
                    "id": "indicator--5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                    "created": "2026-01-01T00:00:00.000Z",
                    "modified": "2026-01-01T00:00:00.000Z", "pattern_type": "stix",
                    "pattern": "[ipv4-addr:value = '10.20.1.36']",
                    "valid_from": "2026-01-01T00:00:00Z"}]}, open(feed, "w"))
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", db, "--intel", feed, pcap)
    incs = json.loads(ward("incidents", "list", "--db", db, "--json").stdout)
    types = {i["type"] for i in incs}
    check({"scanner", "system-compromise", "worm", "ddos"} <= types,
          f"the demo should give every class, got {sorted(types)}")
    # the internal strings: the facility, every protected address, prefixes
    internal = {FACILITY, "10.20.", "2001:db8:20:", "10.20.250.250", "10.20.1.36"}
    nets = [ipaddress.ip_network(n) for n in NETS]
    for i in incs:
        for t in i["targets"]:  # the protected ones (a listed facility host
            # that called out has outside addresses as its targets)
            if any(ipaddress.ip_address(t["ip"]) in n for n in nets):
                internal.add(t["ip"])
        for a in i["attackers"] + i.get("infected_hosts", []):
            ip = a["ip"] if isinstance(a, dict) else a
            if ip.startswith("10.20.") or ip.startswith("2001:db8:20:"):
                internal.add(ip)
    ward("notify", "-c", cfg, "--db", db, "--outbox", box)
    msgs = []
    for name in sorted(os.listdir(box)):
        path = os.path.join(box, name)
        m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
        msgs.append((path, m))
    outside = [(p, m) for p, m in msgs if "soc.demo@" not in str(m["To"])]
    check(len(outside) >= 5, f"expected messages to parties outside, got {len(outside)}")
    for path, m in outside:
        args = ["/usr/bin/python3", LEAK, path]
        for s in sorted(internal):
            args += ["--internal", s]
        for n in NETS:
            args += ["--net", n]
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0, f"{m['To']} {m['Subject']}: {r.stdout.strip()}")
    # the callback's CERT is told which indicator it matched, as a sighting
    sighted = False
    for path, m in outside:
        for part in m.walk():
            if (part.get_filename() or "").endswith("-stix.json"):
                doc = part.get_content()
                b = json.loads(doc.decode() if isinstance(doc, bytes) else doc)
                sighted |= any(x["type"] == "sighting" and
                               x.get("description", "").startswith("Seen in")
                               for x in b["objects"])
    check(sighted, "no sighting of the matched indicator reached the callback's CERT")
    # the amplification incident: to the reflectors' party, its own only
    ampl = [i for i in incs if i["reflectors"]]
    if check(ampl, "no reflection incident"):
        i = ampl[0]
        parties = {r["party"] for r in i["reflectors"] if r["party"]}
        got = [(p, m) for p, m in msgs if f"[{i['id']}]" in str(m["Subject"])]
        check(len(got) == len(parties) and parties,
              f"{i['id']}: {len(got)} notifications for reflector parties {parties}")
        for path, m in got:
            body = m.get_body(preferencelist=("plain",)).get_content()
            check("Reflectors" in str(m["Subject"]) and "abused" in str(m["Subject"]),
                  f"subject {m['Subject']}")
            to = str(m["To"])
            for r in i["reflectors"]:
                mine = r["party"] and r["party"] in to
                check((r["ip"] in body) == bool(mine),
                      f"{to}: reflector {r['ip']} of {r['party']} listed={r['ip'] in body}")
    # the facility's own team: its incidents, the capture as recorded
    soc = [(p, m) for p, m in msgs if "soc.demo@" in str(m["To"])]
    check(soc, "no message to the facility's own team")
    for path, m in soc:
        raw = open(path, "rb").read()
        check(FACILITY.encode() in raw, f"{m['Subject']}: the team does not see its facility")
    return report()


def report():
    for f in fails:
        print("FAIL:", f)
    print("pass" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
