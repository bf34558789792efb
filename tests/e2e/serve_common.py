"""serve_common.py -- what the `ward serve` tests share: a scratch store
made the way ward makes one (ward notify creates and migrates it;
incidents inserted as src/store writes them; ward notify --outbox sends
the notifications; ward inbox imports the parties' replies; an evidence
capture recorded on the first incident), tokens of every role made with
`ward token add`, and a running `ward serve` on a loopback port the system
chooses (its "listening on URL" line is waited for, never a fixed sleep).
The store is a SQLite file, or a database made here on a throw-away
PostgreSQL cluster (tests/tools/pg_cluster.sh; pg_database), written to
with psql.
"""
import atexit, email, email.policy, glob, hashlib, json, os, queue, shutil, signal, sqlite3, subprocess, sys, threading, time
import urllib.error, urllib.request

NS = 10**9
T0 = 1776330169
NOW = T0 + 3600


def run(ward, *args, env_now=None, ok=True):
    env = dict(os.environ)
    if env_now:
        env["WARD_NOW"] = str(env_now)
    p = subprocess.run([ward, *args], capture_output=True, text=True, env=env)
    if ok and p.returncode != 0:
        sys.exit(f"ward {' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


PARTIES = [("CERT-SE", "cert@se.example", "iodef", "SE"),
           ("CERT-Bund", "cert@bund.example", "stix", "DE"),
           ("CERT-FR", "cert@fr.example", "text", "FR")]


def psql_bin():
    for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True):
        return p
    return shutil.which("psql")


def psql(uri, sql):
    """Runs sql (one or more statements) on uri; its output, or exit."""
    p = subprocess.run([psql_bin(), "-XAtq", "-v", "ON_ERROR_STOP=1", uri],
                       input=sql, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"psql: {p.stderr.strip()}\n{sql[:500]}")
    return p.stdout.strip()


def pg_database(state, name):
    """The URI of a fresh database on the cluster of pg_cluster.sh whose
    state directory is state; exits 77 (skip) with the reason when the
    cluster could not be had for want of PostgreSQL's binaries."""
    skip = os.path.join(state, "skip")
    if os.path.exists(skip):
        print("skipped:", open(skip).read().strip())
        sys.exit(77)
    if not psql_bin():
        print("skipped: psql is not installed")
        sys.exit(77)
    uri = open(os.path.join(state, "uri")).read().strip()
    base = uri.rsplit("/", 1)[0]
    db = f"e2e_{name}_{os.getpid()}"
    psql(f"{base}/postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE);\nCREATE DATABASE {db};")
    return f"{base}/{db}"


class Sql:
    """Statements with ? parameters on the store db: sqlite3 on a file,
    psql (literals quoted here; text, whole numbers and None only) on a
    postgresql:// URI. commit() runs them."""

    def __init__(self, db):
        self.db, self.pg = db, db.startswith("postgresql://")
        self.con = None if self.pg else sqlite3.connect(db)
        self.script = []

    @staticmethod
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, int):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    def execute(self, sql, params=()):
        if not self.pg:
            return self.con.execute(sql, params)
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        self.script.append("".join(p + (self.literal(params[i]) if i < len(params) else "")
                                   for i, p in enumerate(parts)) + ";")

    def commit(self):
        if self.pg:
            psql(self.db, "BEGIN;\n" + "\n".join(self.script) + "\nCOMMIT;\n")
            self.script = []
        else:
            self.con.commit()

    def close(self):
        if self.con:
            self.con.close()


def make_store(ward, tmp, db=None):
    """A store (db: a postgresql:// URI, else tmp/ward.db) with three
    incidents, their notifications sent, a human reply from CERT-SE and
    CERT-FR and an auto-reply from CERT-Bund; returns (cfg, db, evidence
    bytes)."""
    db = db or f"{tmp}/ward.db"
    out, inbox = f"{tmp}/outbox/new", f"{tmp}/inbox"
    cfg, directory = f"{tmp}/ward.yaml", f"{tmp}/directory.yaml"
    os.makedirs(inbox, exist_ok=True)
    with open(directory, "w") as f:
        f.write("parties:\n"
                "  - {name: CERT-SE, kind: national-cert, email: cert@se.example,\n"
                "     countries: [SE], reply_from: ['@se.example']}\n"
                "  - {name: CERT-Bund, kind: national-cert, email: cert@bund.example,\n"
                "     countries: [DE], reply_from: [rt@bund.example]}\n"
                "  - {name: CERT-FR, kind: national-cert, email: cert@fr.example,\n"
                "     countries: [FR]}\n")
    with open(cfg, "w") as f:
        f.write("notify:\n  from: cert@csirt.example\n"
                "  sender_name: Example National CSIRT\n"
                f"attribution:\n  directory: {directory}\n"
                "serve:\n  threads: 2\n  body_max: 16 KiB\n"
                "  auth:\n    fail_max: 1000\n    fail_window: 60s\n")
    run(ward, "notify", "-c", cfg, "--db", db, "--outbox", f"{tmp}/empty")
    evidence = b"\xd4\xc3\xb2\xa1" + bytes(range(256)) * 4
    ev_path = f"{tmp}/evidence.pcap"
    with open(ev_path, "wb") as f:
        f.write(evidence)
    con = Sql(db)
    for k, (party, mail, fmt, cc) in enumerate(PARTIES, 1):
        iid = f"WARD-2026-{k:06d}"
        con.execute("INSERT INTO incidents(id, corr_key, line, class, type, severity,"
                    " facility, sector, first_ns, last_ns, party_name, party_kind,"
                    " party_email, party_format, party_language, party_deadline_hours,"
                    " party_matched_by, summary) VALUES"
                    " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (iid, f"k{k}", "intrusion", "intrusions", "system-compromise", 1,
                     "St. Example Hospital", "healthcare", (T0 + k) * NS,
                     (T0 + k + 40) * NS, party, "national-cert", mail, fmt, "en", 72,
                     f"country {cc}", f"<script>alert({k})</script> exploit from {cc}"))
        con.execute("INSERT INTO incident_attackers(incident_id, ip, role, country, asn,"
                    " as_org, reliable, party, matched_by) VALUES (?,?,?,?,?,?,1,?,?)",
                    (iid, f"89.160.20.{100 + k}", "attacker", cc, 29518,
                     "Bredband2 AB", party, f"country {cc}"))
        con.execute("INSERT INTO incident_targets(incident_id, ip, facility, sector)"
                    " VALUES (?,?,?,?)", (iid, "198.51.100.23", "St. Example Hospital",
                                          "healthcare"))
        con.execute("INSERT INTO incident_attacks(incident_id, detector, src, dst,"
                    " start_ns, last_ns, reports, packets, ended) VALUES"
                    " (?,?,?,?,?,?,?,?,1)",
                    (iid, "smb_ms17010", f"89.160.20.{100 + k}", "198.51.100.23",
                     (T0 + k) * NS, (T0 + k + 40) * NS, 3, 30))
    con.execute("UPDATE incidents SET evidence_path = ?, evidence_sha256 = ?,"
                " evidence_packets = 4 WHERE id = 'WARD-2026-000001'",
                (ev_path, hashlib.sha256(evidence).hexdigest()))
    con.commit()
    con.close()
    run(ward, "notify", "-c", cfg, "--db", db, "--outbox", out, env_now=NOW)
    ids = {}
    for name in sorted(os.listdir(out)):
        msg = email.message_from_bytes(open(f"{out}/{name}", "rb").read(),
                                       policy=email.policy.default)
        ids[str(msg["To"].addresses[0].addr_spec)] = msg["Message-ID"]
    with open(f"{inbox}/1.eml", "w") as f:
        f.write(f"From: a@se.example\nSubject: Re: x\nIn-Reply-To: {ids['cert@se.example']}\n"
                "Date: Thu, 16 Apr 2026 12:00:00 +0000\n\nHost cleaned.\n")
    with open(f"{inbox}/2.eml", "w") as f:
        f.write(f"From: rt@bund.example\nSubject: AutoReply\nAuto-Submitted: auto-replied\n"
                f"References: {ids['cert@bund.example']}\n\nTicket created\n")
    with open(f"{inbox}/3.eml", "w") as f:
        f.write(f"From: cert@fr.example\nSubject: Re: x\nIn-Reply-To: {ids['cert@fr.example']}\n"
                "Date: Thu, 16 Apr 2026 13:00:00 +0000\n\nWe look into it.\n")
    run(ward, "inbox", "-c", cfg, "--db", db, inbox, env_now=NOW + 7200)
    return cfg, db, evidence


def add_sensors(db):
    """What `ward ingest` stores of two sensors (fleet_messages), as seen at
    NOW: icu-north heard from within the last five minutes (3 messages, 2
    of them alerts, there; one more alert an hour before), lab-west silent
    for ten minutes."""
    con = Sql(db)
    for i, (sensor, kind, ago) in enumerate([("icu-north", "alert", 3600),
                                             ("icu-north", "alert", 120),
                                             ("icu-north", "alert", 60),
                                             ("icu-north", "heartbeat", 30),
                                             ("lab-west", "heartbeat", 600)]):
        con.execute("INSERT INTO fleet_messages(id, sensor, kind, event_ns, stored_ns)"
                    " VALUES (?,?,?,?,?)", (f"{sensor}/00/{i}", sensor, kind,
                                             (NOW - ago - 1) * NS, (NOW - ago) * NS))
    con.commit()
    con.close()


def add_token(ward, cfg, db, name, role):
    p = run(ward, "token", "add", name, "--role", role, "-c", cfg, "--db", db)
    return p.stdout.split()[-1]


class Server:
    """`ward serve` on 127.0.0.1, port chosen by the system."""

    def __init__(self, ward, cfg, db, *extra, env_now=NOW, timeout=20):
        env = dict(os.environ)
        env["WARD_NOW"] = str(env_now)
        self.p = subprocess.Popen([ward, "serve", "-c", cfg, "--db", db,
                                   "--listen", "127.0.0.1:0", *extra],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, env=env)
        atexit.register(self.kill)  # never left running by a failed check
        self.url, self.log, self.lines = None, [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while self.url is None:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:
                self.p.kill()
                sys.exit(f"ward serve did not start: {''.join(self.log)}")
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].strip().rstrip("/")

    def _read(self):
        """Standard error, line by line, into self.log and self.lines
        (None at its end)."""
        for line in self.p.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def stop(self):
        """SIGTERM; returns the exit status and the rest of standard error."""
        self.p.send_signal(signal.SIGTERM)
        code = self.p.wait(timeout=20)
        while self.lines.get(timeout=20) is not None:  # to the end of stderr
            pass
        return code, "".join(self.log)


def request(url, method="GET", token=None, body=None, raw=None, headers=None):
    """(status, headers, parsed JSON or bytes)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, hdrs, payload = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    if (hdrs.get("Content-Type") or "").startswith("application/json"):
        payload = json.loads(payload)
    return status, hdrs, payload
