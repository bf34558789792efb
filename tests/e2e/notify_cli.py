#!/usr/bin/python3
"""notify_cli.py WARD -- end-to-end check of the notification commands on a
scratch database: ward report (creates and migrates it), incidents inserted
with sqlite3 as src/store writes them, then ward notify --outbox (twice:
nothing doubles), ward notify --status, ward inbox (twice: imported once; a stranger's
reply kept as unverified and credited to nobody, a reply naming an
unknown incident unmatched), ward reply, ward notify --reminders after the
deadline (WARD_NOW moves the clock), ward report in every format (the
HTML page is self-contained), and delivery faults: the outbox directory is
created when missing, one that cannot be made keeps the notification
queued with its error until notify.max_age, and --requeue brings it back.
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
    db, out, inbox = f"{tmp}/ward.db", f"{tmp}/outbox/new", f"{tmp}/inbox"
    cfg, directory = f"{tmp}/ward.yaml", f"{tmp}/directory.yaml"
    os.makedirs(inbox)  # the outbox is not: ward notify makes it
    with open(directory, "w") as f:
        f.write("parties:\n"
                "  - {name: CERT-SE, kind: national-cert, email: cert@se.example,\n"
                "     reply_from: ['@se.example']}\n"
                "  - {name: CERT-Bund, kind: national-cert, email: cert@bund.example,\n"
                "     reply_from: [rt@bund.example]}\n"
                "  - {name: CERT-FR, kind: national-cert, email: cert@fr.example}\n")
    with open(cfg, "w") as f:
        f.write("notify:\n  from: cert@csirt.example\n"
                "  sender_name: Example National CSIRT\n  max_age: 2h\n"
                f"attribution:\n  directory: {directory}\n")
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

    # replies: a human one to CERT-SE's mail (from its domain), an
    # auto-reply from CERT-Bund's ticket system, a stranger "answering"
    # CERT-FR's mail, and one naming an incident that does not exist
    with open(f"{inbox}/1.eml", "w") as f:
        f.write(f"From: a@se.example\nSubject: Re: x\nIn-Reply-To: {ids['cert@se.example']}\n"
                "Date: Thu, 16 Apr 2026 12:00:00 +0000\n\nHost cleaned.\n")
    with open(f"{inbox}/2.eml", "w") as f:
        f.write(f"From: rt@bund.example\nSubject: AutoReply\nAuto-Submitted: auto-replied\n"
                f"References: {ids['cert@bund.example']}\n\nTicket created\n")
    with open(f"{inbox}/3.eml", "w") as f:
        f.write(f"From: someone@evil.example.net\nSubject: Re: x\n"
                f"In-Reply-To: {ids['cert@fr.example']}\n\nAll fixed, close it.\n")
    with open(f"{inbox}/4.eml", "w") as f:
        f.write("From: cert@se.example\nSubject: Re: [WARD-2026-000777]\n\nDone.\n")
    p = run("inbox", "-c", cfg, "--db", db, inbox, env_now=now + 7200)
    assert "4 new (3 human, 1 automatic" in p.stdout, p.stdout
    assert "3 matched to a notification (1 from senders not the party's" in p.stdout, p.stdout
    assert "1 unmatched" in p.stdout, p.stdout
    assert "someone@evil.example.net" in p.stderr and "unverified" in p.stderr, p.stderr
    p = run("inbox", "-c", cfg, "--db", db, inbox, env_now=now + 7300)
    assert "0 new" in p.stdout and "4 already known" in p.stdout, p.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM incidents WHERE id = 'WARD-2026-000003'"
                       ).fetchone()[0] == "notified"
    con.close()
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
    assert rows["CERT-FR"]["human_replies"] == 0 and rows["CERT-FR"]["unverified_replies"] == 1
    assert rep["total"]["unverified_replies"] == 1
    assert rep["total"]["incidents"] == 3
    csv = run("report", "-c", cfg, "--db", db, "--format", "csv", "--by", "country").stdout
    assert csv.startswith("group,party,country,incidents,sent,delivered,auto_replies,"), csv
    run("report", "-c", cfg, "--db", db, "--format", "html", "--detail", "-o",
        f"{tmp}/report.html", "--since", "2026-01-01", "--until", "2027-01-01")
    html = open(f"{tmp}/report.html").read()
    assert "<svg" in html and "<script" not in html and "CERT-Bund" in html
    table = run("report", "-c", cfg, "--db", db).stdout
    assert "CERT-SE" in table and "UNVERIF" in table, table
    assert run("report", "--db", db, "--since", "yesterday", ok=False).returncode == 2

    # delivery faults: an outbox that cannot be made keeps the notification
    # queued (exit 0) with its error, until notify.max_age (2 h) fails it
    # (exit 1); --requeue brings it back and it goes
    con = sqlite3.connect(db)
    con.execute("INSERT INTO incidents(id, corr_key, line, class, type, severity,"
                " facility, sector, first_ns, last_ns, party_name, party_kind,"
                " party_email, party_format, party_language, party_deadline_hours,"
                " party_matched_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ("WARD-2026-000004", "k4", "intrusion", "intrusions", "system-compromise", 1,
                 "St. Example Hospital", "healthcare", T0 * NS, (T0 + 40) * NS,
                 "CERT-SE", "national-cert", "cert@se.example", "text", "en", 72,
                 "asn 29518"))
    con.commit()
    con.close()
    blocker = f"{tmp}/blocker"
    open(blocker, "w").write("a file where a directory should be")
    t4 = late + 7200
    p = run("notify", "-c", cfg, "--db", db, "--outbox", f"{blocker}/out", env_now=t4)
    assert "1 queued" in p.stdout and "1 to retry" in p.stdout and "0 failed" in p.stdout, p.stdout
    status = run("notify", "-c", cfg, "--db", db, "--status").stdout
    assert "queued" in status and "Not a directory" in status, status
    p = run("notify", "-c", cfg, "--db", db, "--outbox", f"{blocker}/out", "--retry-now",
            env_now=t4 + 2 * 3600 + 1, ok=False)
    assert p.returncode == 1 and "1 failed" in p.stdout, p.stdout + p.stderr
    assert "--requeue WARD-2026-000004" in p.stderr, p.stderr
    p = run("notify", "-c", cfg, "--db", db, "--outbox", out, "--requeue", "WARD-2026-999999",
            ok=False)
    assert p.returncode == 1 and "no notification" in p.stderr, p.stderr
    os.unlink(blocker)
    p = run("notify", "-c", cfg, "--db", db, "--outbox", f"{blocker}/out", "--requeue",
            "WARD-2026-000004", env_now=t4 + 3 * 3600)
    assert "1 failed notification(s) queued again" in p.stdout and "1 sent" in p.stdout, p.stdout
    assert len(os.listdir(f"{blocker}/out")) == 1
    help_ = run("notify", "--help").stdout
    assert "--requeue REF" in help_ and "notify.max_age" in help_, help_
print("notify_cli: ok")
