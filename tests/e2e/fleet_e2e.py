#!/usr/bin/env python3
"""fleet_e2e.py CASE --ward W --trafficgen G --kafka-mock K --work DIR [--pg STATE]
-- fleet mode through the real binaries: sensors (`ward analyze --sensor
--publish kafka://...`) publish to librdkafka's mock cluster (three brokers,
tests/tools/kafka_mock.c, started here), `ward ingest` turns the alerts into
incidents in a SQLite file or a database of the throw-away PostgreSQL
cluster (tests/tools/pg_cluster.sh, STATE/uri).

Cases:
  same-sqlite  two sensors, two generated captures, one `ward ingest --once`
               into SQLite: the same incidents as one direct `ward analyze
               --db` of both captures (every field but the sensors, which
               name the two sensors, and the evidence file names); a second
               ingest of the same group, and one of a new group that reads
               the whole topic again, add and change nothing.
  same-pg      the same against PostgreSQL; `ward ingest --status` shows
               lag 0 and both sensors.
  kill-pg      an ingest slowed in every commit is killed with SIGKILL
               mid-stream (some messages stored, not all), then run again:
               nothing lost, nothing counted twice (every message id once,
               the same incidents and alert counts as the direct run).
  outage       every broker is set down while a sensor publishes: the
               sensor's stats event shows the messages held in its spool,
               none delivered; the brokers come back and the same process
               delivers them all before it exits. A second sensor closed
               during an outage leaves its messages in the spool; its next
               start (on a capture without alerts) sends them. The centre
               then has every incident.
  sigterm      `ward ingest` without --once, SIGTERM once it has stored
               everything: exit 0, offsets committed (`--status`: lag 0).
No fixed sleeps: every wait is for a condition, with a deadline.
Exit 0 pass, 1 fail, 77 skipped (no PostgreSQL for the -pg cases)."""
import argparse, glob, json, os, shutil, signal, sqlite3, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fails = []
O = None


def check(cond, what):
    if not cond:
        fails.append(what)
    return cond


def wait_for(cond, what, timeout=120):
    deadline = time.monotonic() + timeout
    pause = 0.02
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(pause)  # polling interval, not a fixed wait
        pause = min(pause * 2, 0.5)
    fails.append(f"timed out after {timeout} s waiting for {what}")
    return None


class Mock:
    """kafka_mock as a child: bootstrap servers, commands on stdin."""

    def __init__(self, topic="ward", parts=4):
        self.p = subprocess.Popen([O.kafka_mock, "-b", "3", "-t", f"{topic}:{parts}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.bootstrap = self.p.stdout.readline().strip()
        if not self.bootstrap:
            raise SystemExit("kafka_mock printed no bootstrap servers")
        self.url = f"kafka://{self.bootstrap}/{topic}"

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().strip()
        check(answer == "ok", f"kafka_mock {line}: {answer}")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(timeout=60)


def ward(*args, ok=True, env=None, timeout=600):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([O.ward, *args], capture_output=True, text=True, timeout=timeout,
                       env=e)
    if ok:
        check(p.returncode == 0, f"ward {' '.join(args)[:200]}: exit {p.returncode}: "
                                 f"{p.stderr[-800:]}")
    return p


def config(name, extra=""):
    path = os.path.join(O.work, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("facilities:\n  - name: St. Example University Hospital\n"
                "    sector: healthcare\n    criticality: critical\n"
                "    networks: [10.20.0.0/16]\n"
                f"attribution:\n  directory: {ROOT}/etc/demo-directory.yaml\n"
                f"evidence:\n  dir: {O.work}/evidence-{name}\n" + extra)
    return path


def capture(name, seed, start, profile="demo"):
    pcap = os.path.join(O.work, name + ".pcap")
    if not os.path.exists(pcap):
        subprocess.run([O.trafficgen, "-q", "--seed", str(seed), "--profile", profile,
                        "--rate", "200", "--start", str(start), "-o", pcap],
                       check=True, timeout=300)
    return pcap


def captures():
    # two hospitals' sensors, three hours apart: one run over both files
    # sees the same attacks as the two sensors apart
    return (capture("site-a", 2026, 1767603600), capture("site-b", 7, 1767614400))


def listing(db):
    p = ward("incidents", "list", "--db", db, "--json")
    return json.loads(p.stdout or "[]")


def comparable(incidents):
    out = []
    for i in incidents:
        i = dict(i)
        i.pop("sensors", None)
        if i.get("evidence"):
            # flood samples may pick other frames of the same flood
            i["evidence"] = {"packets": i["evidence"].get("packets")}
        out.append(i)
    return out


def same_incidents(got, want, what, ignore=()):
    g, w = comparable(got), comparable(want)
    for i in g + w:
        for k in ignore:
            i.pop(k, None)
    check(len(g) >= 8, f"{what}: only {len(g)} incidents")
    if not check(len(g) == len(w), f"{what}: {len(g)} incidents, the direct run has {len(w)}"):
        return
    for a, b in zip(g, w):
        for k in sorted(set(a) | set(b)):
            check(a.get(k) == b.get(k), f"{what}: {b['id']} {k}: {str(a.get(k))[:200]} "
                                        f"!= direct {str(b.get(k))[:200]}")


def sensors_of(incidents):
    return {i["id"]: sorted(s["name"] for s in i.get("sensors", [])) for i in incidents}


def publish(mock, cfg, sensor, pcap, spool, ok=True, extra=()):
    return ward("analyze", "--no-progress", "-q", "-c", cfg, "--sensor", sensor,
                "--publish", mock.url, "--spool", spool, *extra, pcap, ok=ok)


def ingest(mock, cfg, db, *extra, ok=True, env=None):
    return ward("ingest", "-c", cfg, "--from", mock.url, "--db", db, *extra, ok=ok, env=env)


def direct(cfg, db):
    a, b = captures()
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", db, a, b)
    return listing(db)


def two_sensors(mock, cfg):
    a, b = captures()
    publish(mock, cfg, "sensor-a", a, os.path.join(O.work, "spool-a"))
    publish(mock, cfg, "sensor-b", b, os.path.join(O.work, "spool-b"))


def fleet_count(db):
    if db.startswith("postgresql:"):
        return int(psql(db, "SELECT count(*) FROM fleet_messages"))
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM fleet_messages").fetchone()[0]


def check_sensors(got, site_a_ids_want, what):
    for iid, names in sensors_of(got).items():
        check(len(names) == 1 and names[0] in ("sensor-a", "sensor-b"),
              f"{what}: {iid}: sensors {names}")
    a = sorted(i for i, n in sensors_of(got).items() if n == ["sensor-a"])
    check(a == site_a_ids_want, f"{what}: incidents of sensor-a {a}, expected {site_a_ids_want}")


def site_a_ids(want):
    # the first capture's incidents begin before the second capture starts
    return sorted(i["id"] for i in want if i["first_seen"] < "2026-01-05T12:00")


def run_same(db, direct_db):
    mock = Mock()
    try:
        cfg = config("fleet")
        want = direct(config("direct"), direct_db)
        two_sensors(mock, cfg)
        p = ingest(mock, cfg, db, "--once")
        got = listing(db)
        same_incidents(got, want, "ingest --once")
        check_sensors(got, site_a_ids(want), "ingest --once")
        n = fleet_count(db)
        check(n > 100, f"{n} fleet messages stored")
        # the same group again: caught up at once, nothing new
        p = ingest(mock, cfg, db, "--once")
        check(" 0 messages" in p.stderr, f"second ingest read messages: {p.stderr.strip()}")
        # a new group reads the whole topic again: every id is known
        p = ingest(mock, cfg, db, "--once", "--group", "second")
        check("0 incidents opened" in p.stderr and "already stored" in p.stderr,
              f"re-reading ingest: {p.stderr.strip()}")
        check(fleet_count(db) == n, "re-reading stored message ids again")
        same_incidents(listing(db), want, "after re-reading the topic")
        return mock, cfg, got
    except BaseException:
        mock.stop()
        raise


def case_same_sqlite():
    mock, _, _ = run_same(os.path.join(O.work, "centre.db"), os.path.join(O.work, "direct.db"))
    mock.stop()


def case_same_pg():
    db = new_db("fleet_same")
    mock, cfg, _ = run_same(db, new_db("fleet_direct"))
    try:
        p = ward("ingest", "-c", cfg, "--status", "--from", mock.url, "--db", db)
        check("lag 0 messages" in p.stdout, f"--status: {p.stdout.strip()}")
        check("sensor-a" in p.stdout and "sensor-b" in p.stdout,
              f"--status does not list both sensors: {p.stdout.strip()}")
        check(O.password not in p.stdout + p.stderr, "--status printed the password")
    finally:
        mock.stop()


def case_kill_pg():
    mock = Mock()
    try:
        cfg = config("fleet", "ingest:\n  batch: 10\n")
        want_db = new_db("kill_direct")
        want = direct(config("direct"), want_db)
        two_sensors(mock, cfg)
        total = ingest(mock, cfg, new_db("kill_all"), "--once", "--group", "all").stderr
        n_all = int(total.split("ward ingest: ")[1].split(" messages")[0])
        db = new_db("kill")
        # every commit takes 100 ms: the ingest is mid-stream for seconds
        proc = subprocess.Popen([O.ward, "ingest", "-c", cfg, "--from", mock.url, "--db", db,
                                 "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, WARD_TEST_STORE_DELAY_MS="100"))
        stored = wait_for(lambda: psql_try(db, "SELECT count(*) FROM fleet_messages") >= 50,
                          "the first ingest to store 50 messages")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        before = psql_try(db, "SELECT count(*) FROM fleet_messages")
        check(stored and before < n_all,
              f"ingest killed after {before} of {n_all} messages: not mid-stream")
        ingest(mock, cfg, db, "--once")
        got = listing(db)
        # The evidence frames of incidents open at the kill were in the
        # killed ingester's memory: the centre's evidence files of those
        # are short (documented), and the incidents' packet totals with them.
        same_incidents(got, want, "after SIGKILL and restart", ignore=("evidence", "packets"))
        check_sensors(got, site_a_ids(want), "after SIGKILL and restart")
        rows = "SELECT incident_id, detector, src, dst, start_ns, reports, packets FROM " \
               "incident_attacks ORDER BY 1, 2, 3, 4, 5"
        check(psql(db, rows) == psql(want_db, rows),
              "attacks (alerts counted, packets) differ from the direct run")
        check(fleet_count(db) == n_all,
              f"{fleet_count(db)} message ids stored, the topic has {n_all}")
    finally:
        mock.stop()


def case_outage():
    mock = Mock()
    try:
        cfg = config("fleet", "publish:\n  close_timeout: 120s\n")
        a, b = captures()
        want = direct(config("direct"), os.path.join(O.work, "direct.db"))
        mock.cmd("down all")
        events = os.path.join(O.work, "sensor-a.json")
        proc = subprocess.Popen([O.ward, "analyze", "--no-progress", "-q", "-c", cfg,
                                 "--sensor", "sensor-a", "--publish", mock.url, "--spool",
                                 os.path.join(O.work, "spool-a"), "-o", events, a],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def final_stats():
            if not os.path.exists(events):
                return None
            for line in open(events):
                if not line.endswith("\n"):
                    break  # still being written
                ev = json.loads(line)
                if ev.get("event_type") == "stats" and "fleet" in ev.get("ward", {}):
                    return ev["ward"]["fleet"]
            return None
        st = wait_for(final_stats, "the sensor's stats event")
        if st:
            check(st["spool_records"] > 0 and st["delivered"] == 0 and
                  st["messages_out"] >= st["spool_records"],
                  f"brokers down: the spool should hold every message: {st}")
            check(st["state"] != "up", f"brokers down but the publisher says {st['state']}")
        check(proc.poll() is None, "the sensor exited while the brokers were down")
        mock.cmd("up all")
        out, err = proc.communicate(timeout=300)
        check(proc.returncode == 0, f"sensor after the outage: exit {proc.returncode}: {err}")
        check("0 waiting in the spool" in out or "stay in the spool" not in err,
              f"sensor after the outage left messages: {out} {err}")
        # sensor b: closed during an outage, its messages wait in the spool
        mock.cmd("down all")
        cfg0 = config("fleet0", "publish:\n  close_timeout: 0s\n")
        spool_b = os.path.join(O.work, "spool-b")
        p = publish(mock, cfg0, "sensor-b", b, spool_b)
        check("stay in the spool" in p.stderr, f"sensor b during an outage: {p.stderr}")
        check(any(os.path.getsize(f) > 0 for f in glob.glob(os.path.join(spool_b, "seg-*"))),
              "sensor b's spool is empty")
        mock.cmd("up all")
        quiet = capture("quiet", 3, 1767625200, profile="benign")
        p = publish(mock, cfg, "sensor-b", quiet, spool_b)
        check("stay in the spool" not in p.stderr, f"restarted sensor b: {p.stderr}")
        db = os.path.join(O.work, "centre.db")
        ingest(mock, cfg, db, "--once")
        got = listing(db)
        same_incidents(got, want, "after the outages")
        check_sensors(got, site_a_ids(want), "after the outages")
    finally:
        mock.stop()


def case_sigterm():
    mock = Mock()
    try:
        cfg = config("fleet")
        two_sensors(mock, cfg)
        db = os.path.join(O.work, "centre.db")
        total = ingest(mock, cfg, os.path.join(O.work, "count.db"), "--once", "--group",
                       "count").stderr
        n_all = int(total.split("ward ingest: ")[1].split(" messages")[0])
        proc = subprocess.Popen([O.ward, "ingest", "-c", cfg, "--from", mock.url, "--db", db],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: os.path.exists(db) and fleet_count_try(db) == n_all,
                 "ingest to store every message")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        check(proc.returncode == 0, f"ingest after SIGTERM: exit {proc.returncode}: {err}")
        p = ward("ingest", "-c", cfg, "--status", "--from", mock.url)
        check("lag 0 messages" in p.stdout, f"offsets after SIGTERM: {p.stdout.strip()}")
        check(len(listing(db)) >= 8, "no incidents after SIGTERM")
    finally:
        mock.stop()


def fleet_count_try(db):
    try:
        return fleet_count(db)
    except sqlite3.Error:
        return -1


# ---- PostgreSQL ----

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


def psql_try(uri, sql):
    p = subprocess.run([psql_bin(), "-XAtq", uri, "-c", sql], capture_output=True, text=True,
                       timeout=120)
    try:
        return int(p.stdout.strip()) if p.returncode == 0 else -1
    except ValueError:
        return -1


def new_db(name):
    db = f"e2e_{name}_{os.getpid()}"
    psql(f"{O.base}/postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"{O.base}/postgres", f"CREATE DATABASE {db}")
    return f"{O.base}/{db}"


CASES = {"same-sqlite": case_same_sqlite, "same-pg": case_same_pg, "kill-pg": case_kill_pg,
         "outage": case_outage, "sigterm": case_sigterm}


def main():
    global O
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--kafka-mock", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--pg", help="state directory of pg_cluster.sh")
    O = ap.parse_args()
    O.password = "\0never"
    if O.case.endswith("-pg"):
        if not O.pg or os.path.exists(os.path.join(O.pg, "skip")):
            print("skipped: no PostgreSQL cluster")
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
