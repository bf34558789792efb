#!/usr/bin/env python3
"""incidents_e2e.py CASE --ward W --trafficgen G --work DIR -- the incident
stage through the real binary (`ward analyze --db`, `ward incidents`).

Cases:
  eternalblue  ../shared/captures/eternalblue-success-unpatched-win7.pcap is
               exactly one incident: attacker 192.168.198.204, target
               192.168.198.203, intrusions/system-compromise, and an
               evidence pcap whose SHA-256 is the one the database holds.
               Analyzing it again adds no incident.
  worm         a generated chained SMB worm is one worm incident that lists
               every host the ground truth shows infected, patient zero first.
  spoofed      a generated spoofed SYN flood is one ddos incident whose
               source attribution is marked unreliable and names no party.
  crash        ward reading the capture from a pipe, SIGKILLed once the
               database holds its first incident, leaves a consistent
               database (integrity_check ok, every incident whole); the rerun
               completes it with the same incidents as an uninterrupted run.
  split        two captures of the same attacks three days apart give the
               same incidents analyzed in one run or one run per file.
  concurrent   four analyze runs on one new database at once, five times:
               all exit 0, every run's incidents are stored.
  readonly     `ward incidents` on a missing database: "no such database",
               exit 1, nothing created.
  counts       SMB and scan incidents count their packets; SMB ones carry
               the share (tree) in alerts, EVE and incident.
  escape       `ward incidents show/list` escape invalid UTF-8 and control
               characters from the database.
Exit 0 pass, 1 fail, 77 skipped."""
import argparse, hashlib, json, os, signal, sqlite3, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("WARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
fails = []
WARD = None


def check(cond, what):
    if not cond:
        fails.append(what)
    return cond


def config(work, extra=""):
    path = os.path.join(work, "cfg.yaml")
    geo = os.path.join(SHARED, "data", "geo")
    with open(path, "w") as f:
        f.write("facilities:\n"
                "  - name: St. Example University Hospital\n"
                "    sector: healthcare\n    criticality: critical\n"
                "    networks: [10.20.0.0/16, 192.168.198.0/24, 2001:db8:20::/48]\n"
                f"evidence:\n  dir: {work}/evidence\n"
                "attribution:\n"
                f"  directory: {ROOT}/etc/directory.yaml\n")
        if os.path.exists(os.path.join(geo, "GeoLite2-ASN-Test.mmdb")):
            f.write(f"  country_db: {geo}/GeoLite2-Country-Test.mmdb\n"
                    f"  asn_db: {geo}/GeoLite2-ASN-Test.mmdb\n")
        f.write(extra)
    return path


def analyze(o, cfg, db, pcap):
    return subprocess.run([o.ward, "analyze", "--no-progress", "-q", "-c", cfg, "--db", db,
                           "-o", os.path.join(o.work, "eve.json"), pcap],
                          capture_output=True, text=True, timeout=600)


def incidents(o, db):
    p = subprocess.run([WARD, "incidents", "list", "--db", db, "--json"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"ward incidents list failed: {p.stderr[-500:]}")
    return json.loads(p.stdout or "[]")


def generate(o, name, args):
    pcap = os.path.join(o.work, name + ".pcap")
    truth = os.path.join(o.work, name + ".tsv")
    subprocess.run([o.trafficgen, "-q"] + args + ["-o", pcap, "--truth", truth],
                   check=True, timeout=300)
    rows = [l.rstrip("\n").split("\t") for l in open(truth) if l.strip() and not l.startswith("#")]
    return pcap, rows


def case_eternalblue(o):
    pcap = os.path.join(SHARED, "captures", "eternalblue-success-unpatched-win7.pcap")
    if not os.path.exists(pcap):
        print("skipped: ../shared/captures is absent")
        return 77
    cfg, db = config(o.work), os.path.join(o.work, "eb.db")
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"analyze exited {p.returncode}: {p.stderr[-500:]}")
    inc = incidents(o, db)
    if not check(len(inc) == 1, f"expected one incident, got {len(inc)}: "
                 + "; ".join(i.get("summary", "") for i in inc)):
        return
    i = inc[0]
    check(i["class"] == "intrusions" and i["type"] == "system-compromise",
          f"class/type {i['class']}/{i['type']}, expected intrusions/system-compromise")
    check([a["ip"] for a in i["attackers"]] == ["192.168.198.204"], f"attackers {i['attackers']}")
    check([t["ip"] for t in i["targets"]] == ["192.168.198.203"], f"targets {i['targets']}")
    ev = i.get("evidence") or {}
    if check(ev.get("path") and os.path.exists(ev["path"]), f"evidence file missing: {ev}"):
        data = open(ev["path"], "rb").read()
        check(hashlib.sha256(data).hexdigest() == ev.get("sha256"), "evidence SHA-256 differs from the database")
        check(data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"),
              "evidence is not a pcap file")
    # Exported JSON has the fields the issue names.
    ex = subprocess.run([o.ward, "incidents", "export", i["id"], "--format", "json", "--db", db],
                        capture_output=True, text=True)
    e = json.loads(ex.stdout)
    for k in ("id", "class", "type", "severity", "status", "first_seen", "last_seen", "attackers",
              "targets", "alerts", "evidence", "party"):
        check(k in e, f"export lacks {k}")
    # The same capture again: no new incident, same evidence.
    p = analyze(o, cfg, db, pcap)
    inc2 = incidents(o, db)
    check(len(inc2) == 1 and inc2[0]["id"] == i["id"], f"re-analysis changed the incidents: {len(inc2)}")
    check(inc2[0].get("evidence", {}).get("sha256") == ev.get("sha256"), "re-analysis replaced the evidence")


def case_worm(o):
    pcap, rows = generate(o, "worm", ["--seed", "31", "--profile", "benign", "--duration", "60",
                                      "--hosts", "120", "--attack", "smb-worm:at=2,count=80,chain=1,rate=10"])
    cfg, db = config(o.work), os.path.join(o.work, "worm.db")
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"analyze exited {p.returncode}: {p.stderr[-500:]}")
    worms = [i for i in incidents(o, db) if i.get("line") == "worm"]
    if not check(len(worms) == 1, f"expected one worm incident, got {len(worms)}"):
        return
    listed = [h["ip"] if isinstance(h, dict) else h for h in worms[0].get("infected_hosts", [])]
    zero = [r[4] for r in rows if r[2] == "smb-worm" and "infected_by" not in r[6]]
    infected = {r[5] for r in rows if r[3] == "smb.doublepulsar" and "implant=1" in r[6]}
    check(zero and listed and listed[0] == zero[0], f"patient zero {zero[:1]} not first in {listed[:5]}")
    missing = infected - set(listed)
    check(not missing, f"infected hosts missing from the incident: {sorted(missing)}")
    print(f"worm incident {worms[0]['id']}: {len(listed)} hosts listed, {len(infected)} infected in truth")


def case_spoofed(o):
    pcap, rows = generate(o, "flood", ["--seed", "32", "--profile", "benign", "--duration", "30",
                                       "--hosts", "60", "--attack", "syn-flood:at=5,duration=4,rate=20000"])
    cfg, db = config(o.work), os.path.join(o.work, "flood.db")
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"analyze exited {p.returncode}: {p.stderr[-500:]}")
    dd = [i for i in incidents(o, db) if i["type"] == "ddos"]
    if not check(len(dd) == 1, f"expected one ddos incident, got {len(dd)}"):
        return
    i = dd[0]
    check(i.get("spoofed") is True, "flood not marked spoofed")
    check(all(not a.get("attribution_reliable", False) for a in i["attackers"]),
          "a spoofed source is marked reliable")
    check("spoof" in i.get("attribution", ""), f"attribution note: {i.get('attribution')}")
    party = i.get("party") or {}
    check(party.get("kind") in (None, "facility-soc"),
          f"a spoofed flood names an outside party: {party}")


def db_count(db, sql="SELECT count(*) FROM incidents"):
    """A value from the database as another reader sees it now; None while
    the file or its tables do not exist yet."""
    if not os.path.exists(db):
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return None


def wait_for(cond, deadline_s, what):
    """Polls cond() until it is true or the deadline passes (no fixed sleep
    decides anything: the deadline only bounds a hang)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    fails.append(f"timed out after {deadline_s} s waiting for {what}")
    return None


def consistent(db):
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed")
    half = con.execute("SELECT count(*) FROM incidents i WHERE"
                       " NOT EXISTS (SELECT 1 FROM incident_attacks a WHERE a.incident_id = i.id)"
                       " OR NOT EXISTS (SELECT 1 FROM incident_targets t WHERE t.incident_id = i.id)"
                       " OR alerts <> (SELECT sum(reports) FROM incident_attacks a"
                       "  WHERE a.incident_id = i.id)").fetchone()[0]
    check(half == 0, f"{half} half-written incidents")
    con.close()
    for i in incidents(None, db):
        check(i["id"].startswith("WARD-") and i["first_seen"] and i["targets"],
              f"half-written incident {i.get('id')}")


def case_crash(o):
    """ward reads the capture from a pipe that this test writes: it cannot
    reach the end of its input before the test closes the pipe, so the kill
    always lands mid-run, once the database holds the first incident,
    whatever the machine's speed."""
    pcap, rows = generate(o, "crash", ["--seed", "33", "--profile", "demo"])
    cfg = config(o.work)
    ref_db, db = os.path.join(o.work, "ref.db"), os.path.join(o.work, "crash.db")
    p = analyze(o, cfg, ref_db, pcap)
    check(p.returncode == 0, f"reference run exited {p.returncode}: {p.stderr[-300:]}")
    ref = {(i["class"], i["type"], i["first_seen"]) for i in incidents(o, ref_db)}
    check(len(ref) >= 3, f"reference run found only {len(ref)} incidents")
    data = open(pcap, "rb").read()
    for round_ in range(2):
        proc = subprocess.Popen([o.ward, "analyze", "--no-progress", "-q", "-c", cfg, "--db", db,
                                 "-o", "/dev/null", "-"], stdin=subprocess.PIPE)
        before = db_count(db) or 0
        # Feed it in pieces until it has stored one more incident than before
        # (or the whole capture, then wait: ward still waits for the rest).
        step = 64 * 1024
        for off in range(0, len(data), step):
            proc.stdin.write(data[off:off + step])
            proc.stdin.flush()
            if (db_count(db) or 0) > before:
                break
        wait_for(lambda: (db_count(db) or 0) > before, 120, "the first incident of the run")
        check(proc.poll() is None, "ward ended before the test closed its input")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check(proc.returncode == -signal.SIGKILL, f"ward exited {proc.returncode}, not killed")
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        consistent(db)
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"rerun exited {p.returncode}: {p.stderr[-300:]}")
    consistent(db)
    got = {(i["class"], i["type"], i["first_seen"]) for i in incidents(o, db)}
    check(got == ref, f"after the crash and rerun: {len(got)} incidents, uninterrupted run {len(ref)}; "
          f"missing {sorted(ref - got)[:3]}, extra {sorted(got - ref)[:3]}")


DAY = 86400
T0 = 1767603600  # trafficgen's default start


def attack_capture(o, name, start, seed, extra=()):
    """A short capture with a vertical scan and an MS17-010 exploitation of
    the same attackers against the same target, starting at start."""
    return generate(o, name, ["--seed", str(seed), "--profile", "benign", "--duration", "20",
                              "--hosts", "30", "--rate", "200", "--start", str(start),
                              "--attack", "scan-vertical:at=2",
                              "--attack", "ms17-010:at=6"] + list(extra))[0]


def norm(incs):
    """What must not depend on how the input was split into runs."""
    return sorted((i["line"], i["class"], i["type"], i["first_seen"], i["last_seen"], i["alerts"],
                   i["packets"], tuple(a["ip"] for a in i["attackers"]),
                   tuple(t["ip"] for t in i["targets"])) for i in incidents(None, incs))


def case_split(o):
    """Two captures of the same attacks three days apart: analyzed in one
    run or one per run, the same incidents (two per attack, none spanning
    the days)."""
    a = attack_capture(o, "day0", T0, 41)
    b = attack_capture(o, "day3", T0 + 3 * DAY, 41)
    cfg = config(o.work)
    one, two = os.path.join(o.work, "one.db"), os.path.join(o.work, "two.db")
    p = subprocess.run([o.ward, "analyze", "--no-progress", "-q", "-c", cfg, "--db", one,
                        "-o", "/dev/null", a, b], capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, f"analyze a b exited {p.returncode}: {p.stderr[-300:]}")
    for f in (a, b):
        p = analyze(o, cfg, two, f)
        check(p.returncode == 0, f"analyze {f} exited {p.returncode}: {p.stderr[-300:]}")
    n1, n2 = norm(one), norm(two)
    check(len(n2) == 4, f"one run per file: {len(n2)} incidents, expected 4 (scan and exploit, twice)")
    check(n1 == n2, "one run and one run per file differ:\n  " +
          "\n  ".join(map(str, n1)) + "\nversus\n  " + "\n  ".join(map(str, n2)))
    for i in incidents(o, one):
        check(i["first_seen"][:10] == i["last_seen"][:10],
              f"{i['id']} spans {i['first_seen']} .. {i['last_seen']}")


def case_concurrent(o):
    """Four `ward analyze --db` on the same new database at once, five
    times: every run exits 0 and every run's incidents are stored."""
    caps = [attack_capture(o, f"c{k}", T0 + k * DAY, 50 + k) for k in range(4)]
    cfg = config(o.work)
    want = set()
    for k, c in enumerate(caps):
        ref = os.path.join(o.work, f"ref{k}.db")
        p = analyze(o, cfg, ref, c)
        check(p.returncode == 0, f"reference run {k} exited {p.returncode}: {p.stderr[-300:]}")
        want |= {(i["class"], i["type"], i["first_seen"]) for i in incidents(o, ref)}
    check(len(want) >= 8, f"the references hold only {len(want)} incidents")
    for round_ in range(5):
        db = os.path.join(o.work, f"shared{round_}.db")
        procs = [subprocess.Popen([o.ward, "analyze", "--no-progress", "-q", "-c", cfg, "--db", db,
                                   "-o", "/dev/null", c], stderr=subprocess.PIPE, text=True)
                 for c in caps]
        for k, pr in enumerate(procs):
            err = pr.communicate(timeout=600)[1]
            check(pr.returncode == 0, f"round {round_} run {k} exited {pr.returncode}: {err[-300:]}")
        got = {(i["class"], i["type"], i["first_seen"]) for i in incidents(o, db)}
        check(got == want, f"round {round_}: {len(got)} incidents stored, {len(want)} expected; "
              f"missing {sorted(want - got)[:3]}")


def case_readonly(o):
    """Commands that only read never create a database."""
    for args in (["incidents", "list"], ["incidents", "list", "--json"],
                 ["incidents", "show", "WARD-2026-000001"],
                 ["incidents", "export", "WARD-2026-000001"],
                 ["report"], ["report", "--format", "json"], ["notify", "--status"]):
        db = os.path.join(o.work, "typo.db")
        p = subprocess.run([o.ward] + args + ["--db", db],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 1, f"{' '.join(args)} on a missing db exited {p.returncode}")
        check(f"{db}: no such database" in p.stderr, f"stderr: {p.stderr.strip()!r}")
        check("no incidents" not in p.stdout, f"stdout: {p.stdout.strip()!r}")
        left = [f for f in os.listdir(o.work) if f.startswith("typo.db")]
        check(not left, f"{' '.join(args)} created {left}")


def case_counts(o):
    """SMB and scan incidents count their packets (never fewer than their
    evidence holds) and the SMB ones carry the share the attacker
    connected to (alert metric tree, EVE ward.tree, incident alerts)."""
    pcap = generate(o, "smb", ["--seed", "42", "--profile", "benign", "--duration", "30",
                               "--hosts", "30", "--rate", "200",
                               "--attack", "scan-vertical:at=2",
                               "--attack", "ms17-010:at=6,implant=1",
                               "--attack", "doublepulsar:at=20"])[0]
    cfg, db = config(o.work), os.path.join(o.work, "smb.db")
    eve = os.path.join(o.work, "eve.json")
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"analyze exited {p.returncode}: {p.stderr[-500:]}")
    seen = set()
    for i in incidents(o, db):
        dets = {a["detector"] for a in i["alerts_detail"]}
        if not dets & {"smb.ms17-010", "smb.doublepulsar", "scan.vertical"}:
            continue
        seen |= dets
        ev = i.get("evidence") or {}
        check(i["packets"] > 0, f"{i['id']} ({sorted(dets)}): 0 packets")
        check(i["packets"] >= ev.get("packets", 0),
              f"{i['id']}: {i['packets']} packets, its evidence holds {ev.get('packets')}")
        for a in i["alerts_detail"]:
            check(a["packets"] > 0, f"{i['id']} {a['detector']}: 0 packets")
            if a["detector"].startswith("smb."):
                want = "\\\\" + a["dest_ip"] + "\\IPC$"
                check(a.get("tree") == want, f"{i['id']} {a['detector']}: tree {a.get('tree')!r}, want {want!r}")
        show = subprocess.run([o.ward, "incidents", "show", i["id"], "--db", db],
                              capture_output=True, text=True).stdout
        counts = [l for l in show.split("\n") if l.strip().startswith("counts")]
        check(counts and " 0 packets" not in counts[0], f"show: {counts}")
    check({"smb.ms17-010", "smb.doublepulsar", "scan.vertical"} <= seen,
          f"expected scan, ms17-010 and doublepulsar incidents, saw {sorted(seen)}")
    trees = {e["ward"].get("tree") for e in map(json.loads, open(eve))
             if e.get("event_type") == "alert" and e["ward"]["detector"].startswith("smb.")}
    check(trees and None not in trees and all(t.endswith("\\IPC$") for t in trees),
          f"EVE SMB alerts' ward.tree: {trees}")


def case_escape(o):
    """Text from outside (AS names from the mmdb, names) reaches a terminal
    escaped: valid UTF-8, no control characters."""
    pcap = generate(o, "esc", ["--seed", "43", "--profile", "none", "--attack", "ms17-010:at=1"])[0]
    cfg, db = config(o.work), os.path.join(o.work, "esc.db")
    p = analyze(o, cfg, db, pcap)
    check(p.returncode == 0, f"analyze exited {p.returncode}: {p.stderr[-300:]}")
    con = sqlite3.connect(db)
    evil = b"Tel\xefa \x1b[2J\x1b]0;owned\x07 AB \xc2\x9b31m \xe2\x80\xae"
    (iid,) = con.execute("SELECT id FROM incidents LIMIT 1").fetchone()
    con.execute("UPDATE incident_attackers SET as_org = CAST(? AS TEXT), asn = 65000", (evil,))
    con.execute("UPDATE incidents SET summary = CAST(? AS TEXT)", (b"exploit of \xff\xfe" + evil,))
    con.commit()
    con.close()
    for args in (["show", iid], ["list"]):
        out = subprocess.run([o.ward, "incidents"] + args + ["--db", db], capture_output=True).stdout
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError as e:
            check(False, f"incidents {args[0]}: invalid UTF-8 at byte {e.start}: {out[e.start-20:e.start+20]!r}")
            continue
        bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f
               or c in "\u2028\u2029\u202a\u202b\u202c\u202d\u202e"]
        check(not bad, f"incidents {args[0]}: control characters {bad[:5]}")
        check("\\x1B[2J" in text, f"incidents {args[0]}: the escape sequence is not shown escaped")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    global WARD
    WARD = o.ward
    os.makedirs(o.work, exist_ok=True)
    for f in os.listdir(o.work):
        if f.endswith((".db", ".db-wal", ".db-shm", ".pcap")) and os.path.isfile(os.path.join(o.work, f)):
            os.unlink(os.path.join(o.work, f))
    ev = os.path.join(o.work, "evidence")
    if os.path.isdir(ev):
        for f in os.listdir(ev):
            os.unlink(os.path.join(ev, f))
    rc = globals()["case_" + o.case](o)
    if rc == 77:
        return 77
    for f in fails:
        print("FAIL:", f)
    print("pass" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
