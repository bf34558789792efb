#!/usr/bin/env python3
"""store_pg.py CASE --ward W --trafficgen G --work DIR --pg STATE -- the real
binary against a PostgreSQL store (a database of the throw-away cluster
of tests/tools/pg_cluster.sh, whose URI is STATE/uri), next to a SQLite one.

Cases:
  same        `ward analyze --db postgresql://...` of a generated hospital
              capture gives the same incidents (`ward incidents list
              --json`, `show`) as `--db x.db`; a second run adds nothing.
  commands    the notification loop on both engines with the same clock:
              `notify --outbox`, `notify --status`, `inbox`, `reply`,
              `reply --history`, `notify --reminders`, `report --format
              json` give the same results; `incidents` and `report` open
              the PostgreSQL store read-only; a password never appears.
  concurrent-analyze  two `ward analyze` at once into one new store, on two
              captures of the same attacks (one per sensor): no incident
              twice, the same incidents as one run alone.
  concurrent-reply    two analysts' `ward reply REF --substantive` and
              `--formal` at once (both held behind a row lock until both
              wait): one wins, the other exits 1 saying "already judged ...
              by ..."; `--force` replaces it and the history keeps both.
Exit 0 pass, 1 fail, 77 skipped (no PostgreSQL)."""
import argparse, email, email.policy, glob, json, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fails = []
O = None
T_SENT = 1767600000  # 2026-01-05 08:00 UTC: ward's clock (WARD_NOW)


def check(cond, what):
    if not cond:
        fails.append(what)
    return cond


def psql_bin():
    for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True):
        return p
    return shutil.which("psql")


def psql(uri, sql):
    p = subprocess.run([psql_bin(), "-XAtq", "-v", "ON_ERROR_STOP=1", uri, "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"psql {sql!r}: {p.stderr.strip()}")
    return p.stdout.strip()


def new_db(name):
    """URI of a fresh database of the cluster."""
    base = O.base
    db = f"e2e_{name.replace('-', '_')}_{os.getpid()}"
    psql(f"{base}/postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"{base}/postgres", f"CREATE DATABASE {db}")
    return f"{base}/{db}"


def ward(*args, ok=True, now=None):
    env = dict(os.environ)
    if now is not None:
        env["WARD_NOW"] = str(int(now))
    p = subprocess.run([O.ward, *args], capture_output=True, text=True, timeout=600, env=env)
    if ok:
        check(p.returncode == 0, f"ward {' '.join(redact(a) for a in args)}: exit "
                                 f"{p.returncode}: {p.stderr[-600:]}")
    check(O.password not in p.stdout + p.stderr,
          f"ward {args[0]} printed the database password")
    return p


def redact(a):
    return a.replace(O.password, "***")


def config(name):
    path = os.path.join(O.work, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("facilities:\n  - name: St. Example University Hospital\n"
                "    sector: healthcare\n    criticality: critical\n"
                "    networks: [10.20.0.0/16]\n"
                f"attribution:\n  directory: {ROOT}/etc/demo-directory.yaml\n"
                f"evidence:\n  dir: {O.work}/evidence-{name}\n"
                "notify:\n  from: ward@cert.example.org\n  sender_name: Example CERT\n")
    return path


def capture(name, seed=2026):
    pcap = os.path.join(O.work, name + ".pcap")
    if not os.path.exists(pcap):
        subprocess.run([O.trafficgen, "-q", "--seed", str(seed), "--profile", "demo",
                        "-o", pcap], check=True, timeout=300)
    return pcap


def comparable(incidents):
    """Incidents without what depends on where the run kept its files."""
    out = []
    for i in incidents:
        i = dict(i)
        if i.get("evidence"):
            ev = dict(i["evidence"])
            ev.pop("path", None)
            i["evidence"] = ev
        out.append(i)
    return out


def listing(db):
    p = ward("incidents", "list", "--db", db, "--json")
    return json.loads(p.stdout or "[]")


def case_same():
    cfg, pcap = config("same"), capture("hospital")
    pg, lite = new_db("same"), os.path.join(O.work, "same.db")
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", pg, pcap)
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", lite, pcap)
    a, b = listing(pg), listing(lite)
    check(len(a) >= 8, f"PostgreSQL: {len(a)} incidents, expected at least 8")
    check(comparable(a) == comparable(b),
          "ward incidents list --json differs between PostgreSQL and SQLite")
    for i in a:
        check(i.get("sensors") and i["sensors"][0]["name"],
              f"{i['id']}: no sensor recorded")
    if a:
        sa = ward("incidents", "show", a[0]["id"], "--db", pg).stdout
        sb = ward("incidents", "show", a[0]["id"], "--db", lite).stdout
        strip = lambda t: [l for l in t.splitlines() if "evidence" not in l]
        check(strip(sa) == strip(sb), "ward incidents show differs between the engines")
    # a second run over the same traffic adds nothing
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", pg, pcap)
    check(len(listing(pg)) == len(a), "a second analyze added incidents on PostgreSQL")
    # store.url in the configuration names the same store
    cfg2 = os.path.join(O.work, "same-url.yaml")
    with open(cfg2, "w") as f:
        f.write(open(cfg).read() + f"store:\n  url: \"{pg}\"\n")
    p = ward("incidents", "list", "-c", cfg2, "--json")
    check(len(json.loads(p.stdout or "[]")) == len(a), "store.url does not open the store")
    # ward config check connects to it; one that does not answer is named
    ward("config", "check", "-c", cfg2)
    bad = os.path.join(O.work, "same-bad.yaml")
    with open(bad, "w") as f:
        f.write(f"store:\n  url: \"{O.base.rsplit(':', 1)[0]}:1/ward\"\n")
    p = ward("config", "check", "-c", bad, ok=False)
    check(p.returncode == 3 and "store.url" in p.stderr and ":***@" in p.stderr,
          f"config check of a store that does not answer: exit {p.returncode}, "
          f"{redact(p.stderr.strip())}")
    # a database that does not exist: said so, not created
    missing = f"{O.base}/e2e_no_such_{os.getpid()}"
    p = ward("incidents", "list", "--db", missing, ok=False)
    check(p.returncode == 1 and "no such database" in p.stderr,
          f"missing database: exit {p.returncode}, {redact(p.stderr.strip())}")


def loop(db, cfg, box, replies):
    """The notification loop; returns what each step printed or reported."""
    got = {}
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", db, capture("hospital"))
    got["notify"] = ward("notify", "-c", cfg, "--db", db, "--outbox", box, now=T_SENT).stdout
    got["notify2"] = ward("notify", "-c", cfg, "--db", db, "--outbox", box,
                          now=T_SENT + 60).stdout
    st = ward("notify", "-c", cfg, "--db", db, "--status").stdout
    got["status"] = sorted(l.split()[1] + " " + l.split()[4] for l in st.splitlines()[1:])
    msgs = [email.message_from_binary_file(open(os.path.join(box, n), "rb"),
                                           policy=email.policy.default)
            for n in sorted(os.listdir(box))]
    os.makedirs(replies, exist_ok=True)
    se = next(m for m in msgs if "cert-se" in str(m["To"]).lower())
    with open(os.path.join(replies, "human.eml"), "w") as f:
        f.write(f"From: {se['To']}\nTo: {se['From']}\nSubject: Re: {se['Subject']}\n"
                "Date: Mon, 05 Jan 2026 12:00:00 +0000\nMessage-ID: <h1@replies.example.org>\n"
                f"In-Reply-To: {se['Message-ID']}\n\nThe host was taken offline.\n")
    got["inbox"] = ward("inbox", "-c", cfg, "--db", db, replies, now=T_SENT + 7200).stdout
    ref = str(se["Subject"]).split("[")[1].split("]")[0]
    got["ref"] = ref
    got["reply"] = ward("reply", "-c", cfg, "--db", db, ref, "--substantive", "--note",
                        "host offline", "--analyst", "alice", now=T_SENT + 7300).stdout
    got["history"] = ward("reply", "-c", cfg, "--db", db, ref, "--history").stdout
    got["reminders"] = ward("notify", "-c", cfg, "--db", db, "--outbox", box, "--reminders",
                            now=T_SENT + 100 * 3600).stdout
    got["report"] = json.loads(ward("report", "-c", cfg, "--db", db, "--format", "json",
                                    now=T_SENT + 101 * 3600).stdout)
    got["csv"] = ward("report", "-c", cfg, "--db", db, "--format", "csv", "--by", "class",
                      now=T_SENT + 101 * 3600).stdout
    got["incidents"] = comparable(listing(db))
    return got


def case_commands():
    cfg = config("commands")
    pg = new_db("commands")
    a = loop(pg, cfg, os.path.join(O.work, "out-pg"), os.path.join(O.work, "replies-pg"))
    b = loop(os.path.join(O.work, "commands.db"), cfg, os.path.join(O.work, "out-lite"),
             os.path.join(O.work, "replies-lite"))
    check(" 0 queued" not in a["notify"] and " 0 sent" not in a["notify"],
          f"PostgreSQL notify: {a['notify'].strip()}")
    check("0 queued" in a["notify2"] and "0 sent" in a["notify2"],
          f"PostgreSQL second notify: {a['notify2'].strip()}")
    check("1 human" in a["inbox"], f"PostgreSQL inbox: {a['inbox'].strip()}")
    check("substantive reply recorded" in a["reply"], f"PostgreSQL reply: {a['reply'].strip()}")
    check("substantive" in a["history"] and "alice" in a["history"],
          f"PostgreSQL history: {a['history'].strip()}")
    check(a["report"].get("total", {}).get("substantive") == 1,
          f"PostgreSQL report: {a['report'].get('total')}")
    for k in ("notify", "notify2", "status", "inbox", "reply", "history", "reminders",
              "report", "csv", "incidents"):
        check(a[k] == b[k], f"{k} differs between PostgreSQL and SQLite:\n"
                            f"  pg:     {str(a[k])[:600]}\n  sqlite: {str(b[k])[:600]}")
    # while another `ward notify` holds the store (its session lock, taken
    # here by psql with the same keys), a second one is refused
    h = 2166136261
    for c in b"notify":
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    key = h - (1 << 32) if h >= 1 << 31 else h
    holder = subprocess.Popen([psql_bin(), "-XAtq", pg], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    holder.stdin.write(f"SELECT pg_try_advisory_lock({0x57415246}, {key});\n")
    holder.stdin.flush()
    check(holder.stdout.readline().strip() == "t", "psql could not take the notify lock")
    p = ward("notify", "-c", cfg, "--db", pg, "--outbox", os.path.join(O.work, "out-pg"),
             ok=False)
    check(p.returncode == 1 and "another ward notify is running" in p.stderr,
          f"notify beside another: exit {p.returncode}, {redact(p.stderr.strip())}")
    holder.stdin.close()
    holder.wait(timeout=60)
    ward("notify", "-c", cfg, "--db", pg, "--outbox", os.path.join(O.work, "out-pg"),
         now=T_SENT + 102 * 3600)


def case_concurrent_analyze():
    # two sensors see the same attacks: two captures of them
    one, two = capture("hospital"), os.path.join(O.work, "hospital-sensor2.pcap")
    shutil.copyfile(one, two)
    cfg_a, cfg_b = config("sensor-a"), config("sensor-b")
    alone = new_db("alone")
    ward("analyze", "--no-progress", "-q", "-c", cfg_a, "--db", alone, one)
    want = comparable(listing(alone))
    for rnd in range(3):
        pg = new_db(f"together{rnd}")
        procs = [subprocess.Popen([O.ward, "analyze", "--no-progress", "-q", "-c", c,
                                   "--db", pg, p], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for c, p in ((cfg_a, one), (cfg_b, two))]
        for p in procs:
            out, err = p.communicate(timeout=600)
            check(p.returncode == 0, f"concurrent analyze: exit {p.returncode}: {err[-500:]}")
        got = listing(pg)
        keys = psql(pg, "SELECT count(*) - count(DISTINCT corr_key) FROM incidents")
        check(keys == "0", f"round {rnd}: {keys} incidents stored twice")
        check(len(got) == len(want), f"round {rnd}: {len(got)} incidents, one run alone "
                                     f"gives {len(want)}")
        g = {i["summary"]: i for i in comparable(got)}
        for w in want:
            i = g.get(w["summary"])
            if not check(i is not None, f"round {rnd}: missing {w['summary']}"):
                continue
            for k in ("alerts", "packets", "class", "type", "first_seen", "last_seen"):
                check(i[k] == w[k], f"round {rnd}: {w['summary']}: {k} {i[k]} != {w[k]}")
            check(len(i["alerts_detail"]) == len(w["alerts_detail"]),
                  f"round {rnd}: {w['summary']}: attacks differ")
        check(psql(pg, "SELECT max(last) FROM incident_seq") == str(len(want)),
              f"round {rnd}: incident numbers used up by a lost race")


def case_concurrent_reply():
    cfg = config("reply")
    pg = new_db("reply")
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", pg, capture("hospital"))
    ids = [i["id"] for i in listing(pg)]
    if not check(len(ids) >= 2, "no incidents to judge"):
        return
    for ref in ids[:3]:
        # a row lock of our own holds both analysts until both wait for it
        holder = subprocess.Popen([psql_bin(), "-XAtq", pg], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        holder.stdin.write(f"BEGIN;\nSELECT 1 FROM incidents WHERE id = '{ref}' FOR UPDATE;\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "1"
        procs = [subprocess.Popen([O.ward, "reply", "-c", cfg, "--db", pg, ref, verdict,
                                   "--analyst", who], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for verdict, who in (("--substantive", "alice"), ("--formal", "bob"))]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            n = psql(pg, "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                         " current_database() AND wait_event_type = 'Lock'")
            if int(n) >= 2:
                break
            time.sleep(0.02)
        check(int(n) >= 2, f"{ref}: the two analysts never waited together")
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(timeout=60)
        res = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
        codes = sorted(r[0] for r in res)
        check(codes == [0, 1], f"{ref}: exits {codes}, expected one 0 and one 1: {res}")
        loser = next((r for r in res if r[0] == 1), None)
        if loser:
            check("already judged" in loser[2] and " by " in loser[2] and "--force" in loser[2],
                  f"{ref}: the loser was not told: {loser[2].strip()}")
        check(psql(pg, f"SELECT count(*) FROM verdicts WHERE incident_id = '{ref}'") == "1",
              f"{ref}: not exactly one verdict in history")
    # --force replaces it; the history keeps both
    ref = ids[0]
    won = psql(pg, f"SELECT verdict FROM replies WHERE incident_id = '{ref}' AND verdict != ''")
    other = "--formal" if won == "substantive" else "--substantive"
    p = ward("reply", "-c", cfg, "--db", pg, ref, other, "--analyst", "carol", "--force")
    check("replacing " + won in p.stdout, f"--force: {p.stdout.strip()}")
    h = ward("reply", "-c", cfg, "--db", pg, ref, "--history").stdout.splitlines()
    check(len(h) == 2 and "carol" in h[1] and f"(replacing {won})" in h[1],
          f"history after --force: {h}")


CASES = {"same": case_same, "commands": case_commands,
         "concurrent-analyze": case_concurrent_analyze, "concurrent-reply": case_concurrent_reply}


def main():
    global O
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--pg", required=True, help="state directory of pg_cluster.sh")
    O = ap.parse_args()
    skip = os.path.join(O.pg, "skip")
    if os.path.exists(skip):
        print("skipped:", open(skip).read().strip())
        return 77
    uri_file = os.path.join(O.pg, "uri")
    if not os.path.exists(uri_file):
        print(f"no cluster in {O.pg}: start one with tests/tools/pg_cluster.sh start {O.pg}")
        return 1
    if not psql_bin():
        print("skipped: psql not installed")
        return 77
    uri = open(uri_file).read().strip()
    O.base = uri.rsplit("/", 1)[0]
    O.password = uri.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    shutil.rmtree(O.work, ignore_errors=True)
    os.makedirs(O.work)
    CASES[O.case]()
    for f in fails:
        print("FAIL:", f)
    print("pass" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
