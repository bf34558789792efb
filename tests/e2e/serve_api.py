#!/usr/bin/python3
"""serve_api.py WARD WORK -- the JSON API of `ward serve` through the real
server on a loopback port (python3 urllib): every role on every endpoint
(401 without or with a bad or revoked token, 403 below the route's role),
the incident list's filters and paging, an incident with its attribution,
timeline, notifications and replies, the evidence with its SHA-256
header, judgements (the same store code as `ward reply`: a different
judgement conflicts with 409 until "force"), notes, closing, the report
(the rows of `ward report --format json`), the fleet's sensors with their
rates, parties (added, changed and
removed by admins only), tokens made and
revoked, the audit of every change (who, what, before, after), malformed
JSON, bodies over serve.body_max, ids with path traversal, the
failed-authentication limit per address, HTTPS (serve.tls.*), /metrics, the console's
Content-Security-Policy, no token in the log, and exit 0 on SIGTERM.
With --pg STATE the same checks run on a PostgreSQL database of the
throw-away cluster of tests/tools/pg_cluster.sh (exit 77, skipped, when
its binaries are absent)."""
import hashlib, json, os, shutil, socket, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import NOW, Server, add_sensors, add_token, make_store, pg_database, psql, request, run  # noqa: E402

ward, work = sys.argv[1], sys.argv[2]
pg_state = sys.argv[4] if len(sys.argv) == 5 and sys.argv[3] == "--pg" else None
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
cfg, db, evidence = make_store(ward, work, pg_database(pg_state, "serve_api") if pg_state else None)
tok = {r: add_token(ward, cfg, db, r + "-1", r) for r in ("viewer", "analyst", "admin")}
add_sensors(db)
assert all(t.startswith("wt_") and len(t) > 40 for t in tok.values()), tok
# only the hash is stored
if pg_state:
    raw_db = psql(db, "SELECT name || ' ' || role || ' ' || hash FROM api_tokens;\n"
                      "SELECT * FROM audit;").encode()
else:
    raw_db = open(db, "rb").read()
assert not any(t.encode() in raw_db for t in tok.values()), "token stored in clear"
assert hashlib.sha256(tok["viewer"].encode()).hexdigest().encode() in raw_db
p = run(ward, "token", "list", "-c", cfg, "--db", db)
assert "viewer-1" in p.stdout and "analyst" in p.stdout and "wt_" not in p.stdout, p.stdout
p = run(ward, "token", "add", "viewer-1", "--role", "viewer", "-c", cfg, "--db", db, ok=False)
assert p.returncode == 1 and "exists" in p.stderr, p.stderr
p = run(ward, "token", "add", "x", "--role", "root", "-c", cfg, "--db", db, ok=False)
assert p.returncode == 2 and "viewer, analyst or admin" in p.stderr, p.stderr

srv = Server(ward, cfg, db)
U = srv.url
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


ROLES = {"viewer": 1, "analyst": 2, "admin": 3}
INC = "WARD-2026-000001"
# (method, path, body, least role); the changing ones run on incident 3 /
# notification refs that the later checks do not depend on
ROUTES = [
    ("GET", "/api/whoami", None, "viewer"),
    ("GET", "/api/incidents", None, "viewer"),
    ("GET", f"/api/incidents/{INC}", None, "viewer"),
    ("GET", f"/api/incidents/{INC}/evidence", None, "viewer"),
    ("GET", "/api/notifications", None, "viewer"),
    ("GET", "/api/report", None, "viewer"),
    ("GET", "/api/parties", None, "viewer"),
    ("GET", "/api/sensors", None, "viewer"),
    ("POST", "/api/incidents/WARD-2026-000003/notes", {"note": "role check"}, "analyst"),
    ("POST", "/api/notifications/WARD-2026-000003/judgement",
     {"judgement": "formal", "note": "role check"}, "analyst"),
    ("POST", "/api/notifications/WARD-2026-000003/requeue", None, "analyst"),
    ("POST", "/api/parties", {"name": "Role-Check", "kind": "isp-abuse",
                              "email": "abuse@role.example"}, "admin"),
    ("PUT", "/api/parties/Role-Check", {"kind": "isp-abuse",
                                        "email": "abuse2@role.example"}, "admin"),
    ("DELETE", "/api/parties/Role-Check", None, "admin"),
    ("GET", "/api/tokens", None, "admin"),
    ("GET", "/api/audit", None, "admin"),
]
for method, path, body, least in ROUTES:
    s, _, j = request(U + path, method, None, body)
    check(s == 401 and "error" in j, f"{method} {path} without token: {s}")
    s, _, j = request(U + path, method, "wt_not-a-token", body)
    check(s == 401 and "unknown" in j.get("error", ""), f"{method} {path} bad token: {s}")
    for role, t in tok.items():
        s, _, j = request(U + path, method, t, body)
        if ROLES[role] < ROLES[least]:
            check(s == 403 and least in j["error"], f"{method} {path} as {role}: {s} {j}")
        else:
            check(s in (200, 201), f"{method} {path} as {role}: {s} {j if isinstance(j, dict) else ''}")
# (the test's configuration allows 1000 failed authentications; the
# limiter is checked at the end with a stricter one)

V, A, AD = tok["viewer"], tok["analyst"], tok["admin"]
s, _, j = request(U + "/api/whoami", token=A)
check(j == {"name": "analyst-1", "role": "analyst"}, f"whoami {j}")
s, _, j = request(U + "/api/whoami", token=A, headers={"Authorization": "Basic eDp5"})
check(s == 401, f"Basic scheme: {s}")

# the fleet's sensors and their rates over the last five minutes
s, _, j = request(U + "/api/sensors", token=V)
check(s == 200 and j["window_s"] == 300 and [x["name"] for x in j["sensors"]] == ["icu-north", "lab-west"],
      f"sensors {s} {j}")
if s == 200 and len(j["sensors"]) == 2:
    n, w = j["sensors"]
    check(n["state"] == "live" and n["messages"] == 4 and n["alerts"] == 3
          and abs(n["messages_per_minute"] - 0.6) < 1e-9 and abs(n["alerts_per_minute"] - 0.4) < 1e-9,
          f"live sensor {n}")
    check(n["last_stored"].startswith("2026-04-16T") and n["last_event"] < n["last_stored"],
          f"sensor times {n}")
    check(w["state"] == "silent" and w["messages"] == 1 and w["messages_per_minute"] == 0,
          f"silent sensor {w}")

# incidents: filters and paging
s, _, j = request(U + "/api/incidents", token=V)
check(s == 200 and j["total"] == 3 and len(j["incidents"]) == 3, f"list {j}")
ids = [i["id"] for i in j["incidents"]]
check(ids == ["WARD-2026-000003", "WARD-2026-000002", INC], f"order {ids}")
for q, want in [("country=SE", [INC]), ("party=CERT-Bund", ["WARD-2026-000002"]),
                ("sector=healthcare&limit=2", ids[:2]), ("limit=1&offset=2", [INC]),
                ("facility=Nowhere", []), ("class=intrusions&country=FR", ["WARD-2026-000003"]),
                ("since=2030-01-01", []), ("state=new", [])]:
    s, _, j = request(U + "/api/incidents?" + q, token=V)
    got = [i["id"] for i in j.get("incidents", [])]
    check(s == 200 and got == want, f"filter {q}: {s} {got}")
for q in ("limit=-1", "limit=abc", "limit=100000", "since=yesterday", "offset=1e3"):
    s, _, j = request(U + "/api/incidents?" + q, token=V)
    check(s == 400 and q.split("=")[0] in j["error"], f"bad {q}: {s} {j}")

# one incident
s, _, j = request(U + f"/api/incidents/{INC}", token=V)
check(s == 200 and j["id"] == INC, f"incident {s}")
att = j["attackers"][0]
check(att["ip"] == "89.160.20.101" and att["country"] == "SE" and att["asn"] == 29518,
      f"attribution {att}")
check(j["targets"][0]["facility"] == "St. Example Hospital"
      and j["targets"][0]["sector"] == "healthcare", f"targets {j['targets']}")
kinds = [e["kind"] for e in j["timeline"]]
check(kinds[:2] == ["attack-start", "attack-end"] and "notification-sent" in kinds
      and "reply" in kinds, f"timeline {kinds}")
check([e["at"] for e in j["timeline"]] == sorted(e["at"] for e in j["timeline"]),
      "timeline in order")
check(len(j["notifications"]) == 1 and j["notifications"][0]["state"] == "sent",
      f"notifications {j['notifications']}")
check(len(j["replies"]) == 1 and j["replies"][0]["kind"] == "human"
      and j["replies"][0]["from"] == "a@se.example", f"replies {j['replies']}")
s, h, body = request(U + f"/api/incidents/{INC}/evidence", token=V)
check(s == 200 and body == evidence, f"evidence {s}")
check(h["X-Evidence-SHA256"] == hashlib.sha256(evidence).hexdigest(), "evidence hash")
check(h["Content-Type"] == "application/vnd.tcpdump.pcap", h["Content-Type"])
s, _, j = request(U + "/api/incidents/WARD-2026-000002/evidence", token=V)
check(s == 404 and "no evidence" in j["error"], f"no evidence {s} {j}")
s, _, j = request(U + "/api/incidents/WARD-2026-000099", token=V)
check(s == 404 and "no incident" in j["error"], f"missing {s}")
# ids with path traversal and other junk never reach a file or a query
for bad in ("..%2F..%2Fetc%2Fpasswd", "..", "WARD-2026-00000%31%2F..",
            "%00", "WARD-2026-0000001", "'%20OR%201=1--", "a" * 300):
    for suffix in ("", "/evidence"):
        s, _, j = request(U + f"/api/incidents/{bad}{suffix}", token=V)
        check(s in (400, 404) and "error" in j, f"traversal {bad}{suffix}: {s}")
s, _, _ = request(U + "/../../etc/passwd")
check(s == 404, f"console traversal {s}")

# notifications and judgements (wd_inbox_verdict, as ward reply)
s, _, j = request(U + "/api/notifications", token=V)
refs = {n["party"]: n["ref"] for n in j["notifications"]}
check(len(refs) == 3 and all(r.isdigit() for r in refs.values()), f"refs {refs}")
ref = refs["CERT-SE"]
J = U + f"/api/notifications/{ref}/judgement"
s, _, j = request(J, "POST", A, {"judgement": "substantive", "note": "host reimaged"})
check(s == 200 and j["incident"] == INC and j["changed"] is True, f"judge {s} {j}")
s, _, j = request(J, "POST", A, {"judgement": "substantive", "note": "host reimaged"})
check(s == 200 and j["changed"] is False, f"judge again {s} {j}")
s, _, j = request(J, "POST", A, {"judgement": "formal"})
check(s == 409 and "already judged substantive by analyst-1" in j["error"], f"conflict {s} {j}")
s, _, j = request(J, "POST", AD, {"judgement": "formal", "note": "on second look", "force": True})
check(s == 200 and j["replaced"] == "substantive", f"force {s} {j}")
s, _, j = request(J, "POST", A, {"judgement": "substantive", "note": "final", "force": True})
check(s == 200, f"force back {s}")
p = run(ward, "reply", "-c", cfg, "--db", db, INC, "--history")
check(p.stdout.count("by analyst-1") == 2 and "by admin-1" in p.stdout, p.stdout)
for body, want in [({"judgement": "great"}, "substantive or formal"),
                   ({}, "\"judgement\" is required"), ({"judgement": 1}, "must be a string"),
                   ({"judgement": "formal", "force": "yes"}, "\"force\""),
                   ([1, 2], "JSON object")]:
    s, _, j = request(J, "POST", A, body)
    check(s == 400 and want in j["error"], f"bad judgement {body}: {s} {j}")
for raw in (b"{", b"{\"judgement\": \"formal\",}", b"\xff\xfe", b"", b"{\"a\":1,\"a\":2}"):
    s, _, j = request(J, "POST", A, raw=raw)
    check(s == 400 and "JSON" in j["error"], f"malformed {raw!r}: {s} {j}")
s, _, j = request(U + "/api/notifications/999999/judgement", "POST", A, {"judgement": "formal"})
check(s == 404, f"judge missing {s}")
s, _, j = request(U + "/api/notifications/-1/judgement", "POST", A, {"judgement": "formal"})
check(s == 400, f"judge bad ref {s}")
# huge bodies: refused by the declared length and while streaming
s, _, j = request(J, "POST", A, raw=b"{\"note\": \"" + b"x" * 100000 + b"\"}")
check(s == 413 and "over" in j["error"], f"huge {s} {j}")
with socket.create_connection(("127.0.0.1", int(U.rsplit(":", 1)[1]))) as c:
    c.sendall(f"POST /api/notifications/{ref}/judgement HTTP/1.1\r\nHost: x\r\n"
              f"Authorization: Bearer {A}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    for _ in range(40):
        c.sendall(b"400\r\n" + b"y" * 0x400 + b"\r\n")
    c.sendall(b"0\r\n\r\n")
    c.settimeout(20)
    head = c.recv(200)
    check(b" 413 " in head, f"chunked huge: {head!r}")

# notes, close
s, _, j = request(U + f"/api/incidents/{INC}/notes", "POST", A, {"note": "called the SOC"})
check(s == 201 and j["by"] == "analyst-1", f"note {s} {j}")
s, _, j = request(U + f"/api/incidents/{INC}/notes", "POST", A, {"note": ""})
check(s == 400, f"empty note {s}")
s, _, j = request(U + "/api/incidents/WARD-2026-000077/notes", "POST", A, {"note": "x"})
check(s == 404, f"note on missing {s}")
s, _, j = request(U + f"/api/incidents/{INC}/close", "POST", A)
check(s == 200 and j["status"] == "closed", f"close {s} {j}")
s, _, j = request(U + f"/api/incidents/{INC}", token=V)
check(j["status"] == "closed" and j["notes"][0]["note"] == "called the SOC"
      and "note" in [e["kind"] for e in j["timeline"]], "closed with note")
s, _, j = request(U + "/api/incidents?state=closed", token=V)
check([i["id"] for i in j["incidents"]] == [INC], f"closed filter {j}")

# the report: the same rows as ward report --format json
s, _, j = request(U + "/api/report", token=V)
cli = json.loads(run(ward, "report", "-c", cfg, "--db", db, "--format", "json",
                     env_now=NOW).stdout)
check(s == 200 and j["rows"] == cli["rows"], f"report differs:\n{j}\n{cli}")
rows = {r["group"]: r for r in j["rows"]}
check(rows["CERT-SE"]["substantive"] == 1, f"report row {rows.get('CERT-SE')}")
s, _, j = request(U + "/api/report?by=country", token=V)
check(s == 200 and {r["group"] for r in j["rows"]} == {"SE", "DE", "FR"}, f"by country {j}")
s, _, j = request(U + "/api/report?by=planet", token=V)
check(s == 400, f"bad by {s}")
s, _, j = request(U + "/api/parties", token=V)
check([p["name"] for p in j["parties"]] == ["CERT-SE", "CERT-Bund", "CERT-FR"]
      and j["parties"][0]["countries"] == ["SE"], f"parties {j}")

# tokens through the API
s, _, j = request(U + "/api/tokens", "POST", AD, {"name": "ops", "role": "analyst"})
check(s == 201 and j["token"].startswith("wt_"), f"token add {s} {j}")
new = j.get("token", "")
s, _, j = request(U + "/api/whoami", token=new)
check(s == 200 and j["role"] == "analyst", f"new token {s}")
s, _, j = request(U + "/api/tokens", "POST", AD, {"name": "ops", "role": "viewer"})
check(s == 409, f"token twice {s}")
s, _, j = request(U + "/api/tokens", "POST", AD, {"name": "../x", "role": "viewer"})
check(s == 400, f"token bad name {s}")
s, _, j = request(U + "/api/tokens/ops", "DELETE", A)
check(s == 403, f"revoke as analyst {s}")
s, _, j = request(U + "/api/tokens/ops", "DELETE", AD)
check(s == 200, f"revoke {s}")
s, _, j = request(U + "/api/whoami", token=new)
check(s == 401, f"revoked token {s}")
s, _, j = request(U + "/api/tokens", token=AD)
names = {t["name"]: t for t in j["tokens"]}
check(names["ops"]["revoked"] is not None and names["viewer-1"]["revoked"] is None
      and all("hash" not in t and "token" not in t for t in j["tokens"]), f"tokens {j}")
s, _, j = request(U + "/api/tokens", "PUT", AD, {})
check(s == 405, f"method {s}")
s, _, j = request(U + "/api/nothing", token=V)
check(s == 404, f"unknown route {s}")

# the audit: who, what, before -> after
s, _, j = request(U + "/api/audit?limit=100", token=AD)
acts = [(a["who"], a["action"], a["target"]) for a in j["audit"]]
check(("analyst-1", "judgement", INC) in acts and ("admin-1", "token-add", "ops") in acts
      and ("analyst-1", "close", INC) in acts and ("analyst-1", "note", INC) in acts
      and ("admin-1", "token-revoke", "ops") in acts, f"audit {acts}")
forced = [a for a in j["audit"] if a["who"] == "admin-1" and a["action"] == "judgement"][0]
check(forced["before"]["judgement"] == "substantive" and forced["after"]["judgement"] == "formal",
      f"audit before/after {forced}")
close = [a for a in j["audit"] if a["action"] == "close"][0]
check(close["before"] == {"status": "answered"} and close["after"] == {"status": "closed"},
      f"close audit {close}")
check(any(a["who"].startswith("cli:") and a["action"] == "token-add" for a in j["audit"]),
      "command-line tokens audited")

# /metrics (no token configured), the console and its headers
s, h, m = request(U + "/metrics")
m = m.decode()
check(s == 200 and h["Content-Type"].startswith("text/plain"), f"metrics {s}")
check('ward_incidents{state="closed"} 1' in m and 'ward_alerts_total{detector="smb_ms17010"} 9' in m
      and 'ward_replies_total{kind="human"} 2' in m and 'ward_notifications{state="sent"} 3' in m,
      m)
promtool = shutil.which("promtool")
if promtool:
    import subprocess
    pc = subprocess.run([promtool, "check", "metrics"], input=m, capture_output=True, text=True)
    check(pc.returncode == 0, f"promtool: {pc.stdout}{pc.stderr}")
s, h, page = request(U + "/")
csp = h["Content-Security-Policy"]
check(s == 200 and b"<html" in page and "script-src 'self'" in csp
      and "unsafe-inline" not in csp and "default-src 'none'" in csp, f"console {s} {csp}")
check(b"<script>" not in page and b"style=" not in page, "no inline script or style")
s, h, _ = request(U + "/app.js")
check(s == 200 and h["Content-Type"].startswith("text/javascript"), "app.js")

code, log = srv.stop()
check(code == 0, f"exit on SIGTERM: {code}")
check(not any(t in log for t in tok.values()) and "wt_wrong" not in log, "token in the log")

# the failed-authentication limit: serve.auth.fail_max failures of one
# address within the window, then 429 even with a good token
cfg2 = f"{work}/limit.yaml"
with open(cfg2, "w") as f:
    f.write(open(cfg).read().replace("fail_max: 1000", "fail_max: 5"))
srv = Server(ward, cfg2, db)
for i in range(5):
    s, _, _ = request(srv.url + "/api/whoami", token=f"wt_wrong{i}")
    check(s == 401, f"fail {i}: {s}")
s, h, j = request(srv.url + "/api/whoami", token=V)
check(s == 429 and h["Retry-After"] == "60" and "too many" in j["error"], f"limited {s} {j}")
s, h, m = request(srv.url + "/metrics")
check("ward_serve_auth_failures_total 5" in m.decode()
      and "ward_serve_auth_refused_total 1" in m.decode(), m.decode())
code, log = srv.stop()
check(code == 0, f"exit on SIGTERM: {code}")

# HTTPS: serve.tls.cert and serve.tls.key (a certificate made here)
import datetime, ipaddress, ssl, urllib.request
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
with open(f"{work}/tls.crt", "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
with open(f"{work}/tls.key", "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
cfg3 = f"{work}/tls.yaml"
with open(cfg3, "w") as f:
    f.write(open(cfg).read().replace("serve:\n", f"serve:\n  tls: {{cert: {work}/tls.crt, "
                                                  f"key: {work}/tls.key}}\n"))
srv = Server(ward, cfg3, db)
check(srv.url.startswith("https://127.0.0.1:"), f"TLS url {srv.url}")
ctx = ssl.create_default_context(cafile=f"{work}/tls.crt")
req = urllib.request.Request(srv.url + "/api/whoami", headers={"Authorization": f"Bearer {V}"})
with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
    check(r.status == 200 and json.loads(r.read())["name"] == "viewer-1", "whoami over TLS")
    check(r.headers["Strict-Transport-Security"].startswith("max-age="), "HSTS")
try:
    urllib.request.urlopen(srv.url.replace("https:", "http:") + "/api/whoami", timeout=5)
    check(False, "plain HTTP answered on the TLS port")
except Exception:
    pass
code, log = srv.stop()
check(code == 0, f"TLS server exit {code}")
with open(f"{work}/half.yaml", "w") as f:
    f.write(open(cfg).read().replace("serve:\n", f"serve:\n  tls: {{cert: {work}/tls.crt}}\n"))
p = run(ward, "serve", "-c", f"{work}/half.yaml", "--db", db, "--listen", "127.0.0.1:0", ok=False)
check(p.returncode == 3 and "go together" in p.stderr, f"cert without key: {p.returncode} {p.stderr}")

# a bad listen address and a store that cannot be opened are said at start
p = run(ward, "serve", "-c", cfg, "--db", db, "--listen", "localhost", ok=False)
check(p.returncode != 0 and "expected ADDR:PORT" in p.stderr, p.stderr)
p = run(ward, "serve", "-c", cfg, "--db", "/nonexistent/dir/x.db", "--listen", "127.0.0.1:0",
        ok=False)
check(p.returncode == 1 and "x.db" in p.stderr, p.stderr)

if failures:
    sys.exit("FAILED:\n  " + "\n  ".join(failures))
print("serve api: all checks passed")
