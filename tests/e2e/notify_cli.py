#!/usr/bin/python3
"""notify_cli.py WARD -- end-to-end check of the notification commands on a
scratch database: ward report (creates and migrates it), incidents inserted
with sqlite3 as src/store writes them, then ward notify --outbox (twice:
nothing doubles), ward notify --status, ward inbox (twice: imported once),
ward reply, ward notify --reminders after the deadline (WARD_NOW moves the
clock), and ward report in every format; the HTML page is self-contained.
Exit 0 when all hold, 77 (skip) without python3's email/sqlite3 modules."""
import email, email.policy, json, os, sqlite3, subprocess, sys, tempfile

ward = sys.argv[1]
NS = 10**9
T0 = 1776330169


def run(*args, env_now=None, ok=True):
    env = dict(os.environ)
    if env_now:
        env["WARD_NOW"] = str(env_now)
    p = subprocess.run([ward, *args], capture_output=True, text=True, env=env)
    if ok and p.returncode != 0:
        sys.exit(f"ward {' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


with tempfile.TemporaryDirectory() as tmp:
    db, out, inbox = f"{tmp}/ward.db", f"{tmp}/outbox", f"{tmp}/inbox"
    cfg = f"{tmp}/ward.yaml"
    os.makedirs(out)
    os.makedirs(inbox)
    with open(cfg, "w") as f:
        f.write("notify:\n  from: cert@csirt.example\n"
                "  sender_name: Example National CSIRT\n")
    run("report", "-c", cfg, "--db", db)  # creates and migrates
    con = sqlite3.connect(db)
    for k, (party, email_, fmt) in enumerate([("CERT-SE", "cert@se.example", "iodef"),
                                              ("CERT-Bund", "cert@bund.example", "stix"),
                                              ("CERT-FR", "cert@fr.example", "text")], 1):
        iid = f"WARD-2026-{k:06d}"
        con.execute("INSERT INTO incidents(id, corr_key, line, class, type, severity,"
                    " facility, sector, first_ns, last_ns, party_name, party_kind,"
                    " party_email, party_format, party_language, party_deadline_hours,"
                    " party_matched_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (iid, f"k{k}", "intrusion", "intrusions", "system-compromise", 1,
                     "St. Example Hospital", "healthcare", (T0 + k) * NS, (T0 + k + 40) * NS,
                     party, "national-cert", email_, fmt, "en", 72, "asn 29518"))
        con.execute("INSERT INTO incident_attackers(incident_id, ip, role, country, asn,"
                    " as_org, reliable) VALUES (?,?,?,?,?,?,1)",
                    (iid, f"89.160.20.{100 + k}", "attacker", ["SE", "DE", "FR"][k - 1],
                     29518, "Bredband2 AB"))
        con.execute("INSERT INTO incident_targets(incident_id, ip, facility, sector)"
                    " VALUES (?,?,?,?)", (iid, "198.51.100.23", "St. Example Hospital",
                                          "healthcare"))
    con.commit()
    con.close()

    now = T0 + 3600
    p = run("notify", "-c", cfg, "--db", db, "--outbox", out, env_now=now)
    assert "3 queued" in p.stdout and "3 sent" in p.stdout, p.stdout
    p = run("notify", "-c", cfg, "--db", db, "--outbox", out, env_now=now + 10)
    assert "0 queued" in p.stdout and "0 sent" in p.stdout, p.stdout
    emls = sorted(os.listdir(out))
    assert len(emls) == 3, emls
    ids = {}
    for name in emls:
        msg = email.message_from_bytes(open(f"{out}/{name}", "rb").read(),
                                       policy=email.policy.default)
        ids[str(msg["To"].addresses[0].addr_spec)] = msg["Message-ID"]
        assert "[WARD-2026-00000" in str(msg["Subject"])
    status = run("notify", "-c", cfg, "--db", db, "--status").stdout
    assert status.count(" sent ") == 3, status

    # replies: a human one to CERT-SE's mail, an auto-reply from CERT-Bund
    with open(f"{inbox}/1.eml", "w") as f:
        f.write(f"From: a@se.example\nSubject: Re: x\nIn-Reply-To: {ids['cert@se.example']}\n"
                "Date: Thu, 16 Apr 2026 12:00:00 +0000\n\nHost cleaned.\n")
    with open(f"{inbox}/2.eml", "w") as f:
        f.write(f"From: rt@bund.example\nSubject: AutoReply\nAuto-Submitted: auto-replied\n"
                f"References: {ids['cert@bund.example']}\n\nTicket created\n")
    p = run("inbox", "-c", cfg, "--db", db, inbox, env_now=now + 7200)
    assert "2 new (1 human, 1 automatic" in p.stdout, p.stdout
    p = run("inbox", "-c", cfg, "--db", db, inbox, env_now=now + 7300)
    assert "0 new" in p.stdout and "2 already known" in p.stdout, p.stdout
    run("reply", "-c", cfg, "--db", db, "WARD-2026-000001", "--substantive",
        "--note", "host reimaged", env_now=now + 8000)
    assert run("reply", "-c", cfg, "--db", db, "WARD-2026-000009", "--formal",
               ok=False).returncode == 1

    # after the 72 h deadline: one reminder each for Bund and FR, once
    late = now + 73 * 3600
    p = run("notify", "-c", cfg, "--db", db, "--outbox", out, "--reminders", env_now=late)
    assert "2 reminders" in p.stdout and "2 sent" in p.stdout, p.stdout
    p = run("notify", "-c", cfg, "--db", db, "--outbox", out, "--reminders", env_now=late + 60)
    assert "0 reminders" in p.stdout, p.stdout
    assert len(os.listdir(out)) == 5

    rep = json.loads(run("report", "-c", cfg, "--db", db, "--format", "json",
                         env_now=late + 3600).stdout)
    rows = {r["party"]: r for r in rep["rows"]}
    assert rows["CERT-SE"]["human_replies"] == 1 and rows["CERT-SE"]["substantive"] == 1
    assert rows["CERT-Bund"]["auto_replies"] == 1 and rows["CERT-Bund"]["overdue"] == 1
    assert rows["CERT-FR"]["sent"] == 2 and rows["CERT-FR"]["overdue"] == 1
    assert rep["total"]["incidents"] == 3
    csv = run("report", "-c", cfg, "--db", db, "--format", "csv", "--by", "country").stdout
    assert csv.startswith("group,party,country,incidents,sent,delivered,auto_replies,"), csv
    run("report", "-c", cfg, "--db", db, "--format", "html", "--detail", "-o",
        f"{tmp}/report.html", "--since", "2026-01-01", "--until", "2027-01-01")
    html = open(f"{tmp}/report.html").read()
    assert "<svg" in html and "<script" not in html and "CERT-Bund" in html
    table = run("report", "-c", cfg, "--db", db).stdout
    assert "CERT-SE" in table
    assert run("report", "--db", db, "--since", "yesterday", ok=False).returncode == 2
print("notify_cli: ok")
