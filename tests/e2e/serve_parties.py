#!/usr/bin/python3
"""serve_parties.py WARD WORK SRC [--pg STATE] -- the directory of responsible parties
kept in the store and edited through the API of `ward serve`: GET
/api/parties from the directory file until the store has parties; POST,
PUT and DELETE /api/parties for admin only (403 for analyst and viewer);
every field checked with an error naming it and what was expected; the
first change imports the file (audited as party-import), each change a
row of /api/audit with before -> after; `ward parties list` and `ward
parties import FILE`. End to end: a party's email changed through the API
is where the next notification goes, sent by `ward notify` to a real SMTP
server (aiosmtpd with the notify tests' smtp_sink). With --pg STATE the
store is a PostgreSQL database of the cluster of tests/tools/pg_cluster.sh.
Exit 77 (skip) without python3-aiosmtpd or PostgreSQL's binaries."""
import importlib.util, os, shutil, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (NOW, NS, T0, Server, Sql, add_token, make_store,  # noqa: E402
                          pg_database, request, run)

ward, work, src = sys.argv[1], sys.argv[2], sys.argv[3]
pg_state = sys.argv[5] if len(sys.argv) == 6 and sys.argv[4] == "--pg" else None
if importlib.util.find_spec("aiosmtpd") is None:
    print("serve parties: python3-aiosmtpd is not installed; skipped")
    sys.exit(77)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
cfg, db, _ = make_store(ward, work, pg_database(pg_state, "serve_parties") if pg_state else None)
tok = {r: add_token(ward, cfg, db, r + "-1", r) for r in ("viewer", "analyst", "admin")}
V, A, AD = tok["viewer"], tok["analyst"], tok["admin"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


srv = Server(ward, cfg, db)
U = srv.url
P = U + "/api/parties"

# before any change: the directory file
s, _, j = request(P, token=V)
check(s == 200 and j["source"] == "file"
      and [p["name"] for p in j["parties"]] == ["CERT-SE", "CERT-Bund", "CERT-FR"]
      and j["parties"][0]["countries"] == ["SE"] and j["parties"][0]["format"] == "text",
      f"parties from the file {s} {j}")
p = run(ward, "parties", "list", "-c", cfg, "--db", db)
check("# from " in p.stdout and "directory.yaml" in p.stdout and "cert@se.example" in p.stdout,
      p.stdout)

NEW = {"name": "ISP-Example", "kind": "isp-abuse", "email": "abuse@isp.example",
       "format": "iodef", "language": "sv", "deadline_hours": 48,
       "countries": ["se", "NO"], "asns": [64500, 4200000000],
       "facilities": [], "prefixes": ["192.0.2.0/24"]}
# admin only
for role in ("viewer", "analyst"):
    for method, url, body in (("POST", P, NEW), ("PUT", P + "/CERT-SE", NEW),
                              ("DELETE", P + "/CERT-SE", None)):
        s, _, j = request(url, method, tok[role], body)
        check(s == 403 and "admin" in j["error"], f"{method} {url} as {role}: {s} {j}")
    s, _, j = request(P, token=tok[role])
    check(s == 200, f"GET as {role}: {s}")
s, _, j = request(P, "POST", None, NEW)
check(s == 401, f"POST without token: {s}")
# nothing changed by the refused requests
s, _, j = request(P, token=V)
check(j["source"] == "file", f"refused requests changed the store: {j['source']}")

# validation: the field and what was expected
BAD = [({"email": "not-an-address"}, "email", "mail address"),
       ({"email": "a@b"}, "email", "mail address"),
       ({"email": "a b@example.org"}, "email", "mail address"),
       ({"format": "pdf"}, "format", "iodef, stix or text"),
       ({"countries": ["SWE"]}, "countries[0]", "two-letter"),
       ({"countries": "SE"}, "countries", "list"),
       ({"asns": [0]}, "asns[0]", "1 to 4294967295"),
       ({"asns": [4294967296]}, "asns[0]", "1 to 4294967295"),
       ({"asns": ["AS1"]}, "asns[0]", "AS number"),
       ({"deadline_hours": 9000}, "deadline_hours", "0 to 8760"),
       ({"deadline_hours": -1}, "deadline_hours", "0 to 8760"),
       ({"deadline_hours": "72"}, "deadline_hours", "whole number"),
       ({"kind": "friend"}, "kind", "national-cert"),
       ({"language": "e"}, "language", "language tag"),
       ({"prefixes": ["10.0.0.0/33"]}, "prefixes[0]", "network"),
       ({"evidence": "full"}, "evidence", "facility-soc"),
       ({"colour": "red"}, "colour", "unknown field"),
       ({"name": "a/b"}, "name", "'/'"),
       ({"name": ""}, "name", "characters")]
for change, field, want in BAD:
    s, _, j = request(P, "POST", AD, {**NEW, **change})
    check(s == 400 and j["error"].startswith(field + ":") and want in j["error"],
          f"bad {change}: {s} {j}")
for missing in ("name", "kind", "email"):
    body = {k: v for k, v in NEW.items() if k != missing}
    s, _, j = request(P, "POST", AD, body)
    check(s == 400 and j["error"].startswith(missing + ": required"), f"without {missing}: {j}")
s, _, j = request(P, "POST", AD, raw=b"[1]")
check(s == 400 and "JSON object" in j["error"], f"not an object {s} {j}")
s, _, j = request(P, token=V)
check(j["source"] == "file", "a refused body changed the store")

# add: the first change imports the file, then adds
s, _, j = request(P, "POST", AD, NEW)
check(s == 201 and j["countries"] == ["SE", "NO"] and j["evidence"] == "rewrite"
      and j["asns"] == [64500, 4200000000], f"add {s} {j}")
s, _, j = request(P, token=V)
check(s == 200 and j["source"] == "store"
      and [p["name"] for p in j["parties"]] == ["CERT-SE", "CERT-Bund", "CERT-FR", "ISP-Example"],
      f"after add {j}")
s, _, j = request(P, "POST", AD, NEW)
check(s == 409 and "exists" in j["error"], f"add twice {s} {j}")

# change CERT-SE's address: the path names it, the body may too
s, _, j = request(P, token=V)
se = [p for p in j["parties"] if p["name"] == "CERT-SE"][0]
upd = {**se, "email": "incident@cert-se.example"}
del upd["name"]
s, _, j = request(P + "/CERT-SE", "PUT", AD, upd)
check(s == 200 and j["email"] == "incident@cert-se.example" and j["countries"] == ["SE"]
      and j["reply_from"] == ["@se.example"], f"update {s} {j}")
s, _, j = request(P + "/CERT-SE", "PUT", AD, {**upd, "name": "CERT-SE2"})
check(s == 400 and j["error"].startswith("name:"), f"rename {s} {j}")
s, _, j = request(P + "/CERT-SE", "PUT", AD, {**upd, "email": "x@"})
check(s == 400 and j["error"].startswith("email:"), f"bad update {s} {j}")
s, _, j = request(P + "/Nobody", "PUT", AD, upd)
check(s == 404 and "no party" in j["error"], f"update missing {s} {j}")
s, _, j = request(P + "/ISP-Example", "DELETE", AD)
check(s == 200 and j["deleted"] is True, f"delete {s} {j}")
s, _, j = request(P + "/ISP-Example", "DELETE", AD)
check(s == 404, f"delete twice {s} {j}")
# the last party is kept: with none the file would be read again
for name in ("CERT-Bund", "CERT-FR"):
    s, _, j = request(P + "/" + name, "DELETE", AD)
    check(s == 200, f"delete {name}: {s} {j}")
s, _, j = request(P + "/CERT-SE", "DELETE", AD)
check(s == 409 and "last party" in j["error"], f"delete the last: {s} {j}")
for name in ("CERT-Bund", "CERT-FR"):
    body = {"name": name, "kind": "national-cert", "email": f"cert@{name[5:].lower()}.example",
            "countries": [name[5:7].upper()]}
    s, _, j = request(P, "POST", AD, body)
    check(s == 201, f"add {name} back: {s} {j}")
s, _, j = request(P + "/CERT%20Space", "POST", AD, NEW)
check(s == 405, f"POST on a party {s}")

# the audit: the import, then each change with before -> after
s, _, j = request(U + "/api/audit?limit=100", token=AD)
rows = j["audit"]
acts = [(a["who"], a["action"], a["target"]) for a in rows]
for name in ("CERT-SE", "CERT-Bund", "CERT-FR"):
    check(("admin-1", "party-import", name) in acts, f"import of {name} audited: {acts}")
check(("admin-1", "party-add", "ISP-Example") in acts
      and ("admin-1", "party-delete", "ISP-Example") in acts, f"add/delete audited {acts}")
u = [a for a in rows if a["action"] == "party-update"]
check(len(u) == 1 and u[0]["target"] == "CERT-SE"
      and u[0]["before"] == {"email": "cert@se.example"}
      and u[0]["after"] == {"email": "incident@cert-se.example"}, f"update audit {u}")
d = [a for a in rows if a["action"] == "party-delete" and a["target"] == "ISP-Example"][0]
check(d["before"]["email"] == "abuse@isp.example" and d["after"] is None, f"delete audit {d}")
p = run(ward, "parties", "list", "-c", cfg, "--db", db)
check("# from the database" in p.stdout and "incident@cert-se.example" in p.stdout
      and "ISP-Example" not in p.stdout, p.stdout)

# end to end: the next notification goes to the address set through the API
with socket.socket() as so:
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
sink = f"{work}/smtp"
smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                         "-c", "smtp_sink.Sink", sink],
                        env={**os.environ, "PYTHONPATH": f"{src}/tests/unit/notify"},
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.monotonic() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline or smtp.poll() is not None:
            sys.exit(f"the SMTP server did not start: {smtp.stderr.read() if smtp.poll() is not None else ''}")
        time.sleep(0.05)  # polling for the port, with a deadline
try:
    iid = "WARD-2026-000004"
    con = Sql(db)
    con.execute("INSERT INTO incidents(id, corr_key, line, class, type, severity, first_ns,"
                " last_ns, party_name, party_kind, party_email, party_format, party_language,"
                " party_deadline_hours, party_matched_by, summary) VALUES"
                " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (iid, "k4", "intrusion", "intrusions", "system-compromise", 1, (T0 + 9) * NS,
                 (T0 + 50) * NS, "CERT-SE", "national-cert", "cert@se.example", "text",
                 "en", 72, "country SE", "exploit from SE"))
    con.execute("INSERT INTO incident_attackers(incident_id, ip, role, country, asn, as_org,"
                " reliable, party, matched_by) VALUES (?,?,?,?,?,?,1,?,?)",
                (iid, "89.160.20.120", "attacker", "SE", 29518, "Bredband2 AB", "CERT-SE",
                 "country SE"))
    con.commit()
    con.close()
    smtp_cfg = f"{work}/smtp.yaml"
    with open(smtp_cfg, "w") as f:
        f.write(open(cfg).read().replace("notify:\n", f"notify:\n  smtp:\n    url: smtp://127.0.0.1:{port}\n"))
    p = run(ward, "notify", "-c", smtp_cfg, "--db", db, "--incident", iid, env_now=NOW + 9000)
    log = f"{sink}/log"
    deadline = time.monotonic() + 20
    while not os.path.exists(log) and time.monotonic() < deadline:
        time.sleep(0.05)  # the sink writes its log after the message
    lines = open(log).read().split("\n") if os.path.exists(log) else []
    check(any(l.endswith(" incident@cert-se.example") for l in lines)
          and not any("cert@se.example" in l for l in lines),
          f"recipient after the API change: {lines} {p.stdout}{p.stderr}")
    eml = open(f"{sink}/1.eml", "rb").read() if os.path.exists(f"{sink}/1.eml") else b""
    check(b"To: " in eml and b"incident@cert-se.example" in eml, "To: header of the mail")
    s, _, j = request(U + f"/api/incidents/{iid}", token=V)
    check(s == 200 and j["notifications"][0]["email"] == "incident@cert-se.example",
          f"the notification row {j.get('notifications')}")
finally:
    smtp.kill()
    smtp.wait()

# ward parties import FILE: the file's parties replace the stored ones of
# the same name (audited), others are added
extra = f"{work}/more.yaml"
with open(extra, "w") as f:
    f.write("parties:\n"
            "  - {name: CERT-SE, kind: national-cert, email: cert@se.example,\n"
            "     countries: [SE], reply_from: ['@se.example']}\n"
            "  - {name: CERT-NO, kind: national-cert, email: cert@no.example, countries: [NO]}\n")
p = run(ward, "parties", "import", extra, "-c", cfg, "--db", db)
check("1 added, 1 replaced, 0 unchanged" in p.stdout, p.stdout)
p = run(ward, "parties", "import", extra, "-c", cfg, "--db", db)
check("0 added, 0 replaced, 2 unchanged" in p.stdout, p.stdout)
s, _, j = request(P, token=V)
emails = {p["name"]: p["email"] for p in j["parties"]}
check(emails == {"CERT-SE": "cert@se.example", "CERT-Bund": "cert@bund.example",
                 "CERT-FR": "cert@fr.example", "CERT-NO": "cert@no.example"}, f"after import {emails}")
s, _, j = request(U + "/api/audit?limit=5", token=AD)
check(any(a["who"].startswith("cli:") and a["action"] == "party-import" and a["target"] == "CERT-NO"
          for a in j["audit"]), f"import audited {j['audit']}")
with open(f"{work}/bad.yaml", "w") as f:
    f.write("parties:\n  - {name: X, kind: isp-abuse, email: nowhere}\n")
p = run(ward, "parties", "import", f"{work}/bad.yaml", "-c", cfg, "--db", db, ok=False)
check(p.returncode == 3 and "bad.yaml:2:" in p.stderr and "email" in p.stderr, p.stderr)
p = run(ward, "parties", "--help")
check("import FILE" in p.stdout, p.stdout)

code, log = srv.stop()
check(code == 0, f"exit on SIGTERM: {code}")
if failures:
    sys.exit("FAILED:\n  " + "\n  ".join(failures))
print("serve parties: all checks passed")
