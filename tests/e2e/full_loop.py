#!/usr/bin/env python3
"""full_loop.py --ward W --trafficgen G --work DIR -- the whole loop through
the real binary: a generated capture (an EternalBlue exploitation from a
Swedish network, a vertical scan from a US one) -> `ward analyze --db` ->
incidents -> `ward notify --outbox` (one message per incident, in each
party's format, nothing twice on a second run) -> a human reply to the
IODEF notification and an automatic reply to the STIX one, fed through
`ward inbox` -> `ward reply --substantive` -> `ward report --format json`,
whose numbers must say exactly that. Parties come from
etc/demo-directory.yaml (prefix rules: no geolocation database needed)."""
import argparse, email, email.policy, email.utils, datetime, json, os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
    with open(cfg, "w") as f:
        f.write("facilities:\n  - name: St. Example University Hospital\n"
                "    sector: healthcare\n    criticality: critical\n"
                "    networks: [10.20.0.0/16]\n"
                f"attribution:\n  directory: {ROOT}/etc/demo-directory.yaml\n"
                f"evidence:\n  dir: {w}/evidence\n"
                "notify:\n  from: ward@cert.example.org\n  sender_name: Example CERT\n")
    pcap, db, box, replies = f"{w}/in.pcap", f"{w}/ward.db", f"{w}/outbox", f"{w}/replies"
    os.makedirs(replies)
    os.makedirs(box)

    def ward(*args, ok=True, now=None):
        env = dict(os.environ)
        if now is not None:
            env["WARD_NOW"] = str(int(now))  # ward's clock for this command
        p = subprocess.run([o.ward, *args], capture_output=True, text=True, timeout=300,
                           env=env)
        if ok:
            check(p.returncode == 0, f"ward {' '.join(args)}: exit {p.returncode}: {p.stderr[-400:]}")
        return p

    subprocess.run([o.trafficgen, "-q", "--seed", "41", "--profile", "benign", "--duration", "30",
                    "--hosts", "60", "--attack", "ms17-010:at=3,implant=1",
                    "--attack", "scan-vertical:at=15", "-o", pcap], check=True)
    ward("analyze", "--no-progress", "-q", "-c", cfg, "--db", db, "-o", f"{w}/eve.json", pcap)
    inc = json.loads(ward("incidents", "list", "--db", db, "--json").stdout)
    check(len(inc) == 2, f"expected 2 incidents, got {len(inc)}")
    # The notifications go out 8 hours ago; the replies come in after them.
    now = datetime.datetime.now(datetime.timezone.utc)
    sent_at = now.timestamp() - 8 * 3600
    ward("notify", "-c", cfg, "--db", db, "--outbox", box, now=sent_at)
    ward("notify", "-c", cfg, "--db", db, "--outbox", box, now=sent_at + 60)  # nothing new
    emls = sorted(os.listdir(box))
    check(len(emls) == 2, f"expected 2 messages in the outbox, got {len(emls)}")
    msgs = [email.message_from_binary_file(open(os.path.join(box, n), "rb"),
                                           policy=email.policy.default) for n in emls]
    by_to = {str(m["To"]): m for m in msgs}
    se = next((m for t, m in by_to.items() if "cert-se" in t), None)
    us = next((m for t, m in by_to.items() if "us-cert" in t), None)
    if not (check(se is not None, f"no message to CERT-SE: {list(by_to)}") and
            check(us is not None, f"no message to the US CERT: {list(by_to)}")):
        return report()
    types = lambda m: {p.get_content_type() for p in m.walk()}
    check("application/xml" in types(se), f"CERT-SE asked for IODEF: {types(se)}")
    check("application/json" in types(us), f"the US CERT asked for STIX: {types(us)}")
    def reply(m, name, hours, extra, body):
        with open(f"{replies}/{name}.eml", "w") as f:
            f.write(f"From: {m['To']}\nTo: {m['From']}\nSubject: Re: {m['Subject']}\n"
                    f"Date: {email.utils.format_datetime(now - datetime.timedelta(hours=8 - hours))}\n"
                    f"Message-ID: <{name}@replies.example.org>\nIn-Reply-To: {m['Message-ID']}\n"
                    f"{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n")
    reply(se, "human", 6, "", "We found the host and took it offline.")
    reply(us, "auto", 0.05, "Auto-Submitted: auto-replied\n", "Out of office.")
    out = ward("inbox", "-c", cfg, "--db", db, replies).stdout
    check("1 human" in out and "1 automatic" in out, f"inbox: {out.strip()}")
    ref = [i["id"] for i in inc if "89.160.20.112" in json.dumps(i["attackers"])]
    if check(ref, "no incident from 89.160.20.112"):
        ward("reply", "-c", cfg, "--db", db, ref[0], "--substantive", "--note", "host taken offline")
    rows = json.loads(ward("report", "-c", cfg, "--db", db, "--by", "party", "--format", "json").stdout)
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    row = {r["party"]: r for r in rows}
    se_row, us_row = row.get("CERT-SE (demo)"), row.get("US national CERT (demo)")
    if check(se_row and us_row, f"report rows: {list(row)}"):
        want_se = dict(incidents=1, sent=1, delivered=1, auto_replies=0, human_replies=1,
                       substantive=1, formal=0, overdue=0)
        want_us = dict(incidents=1, sent=1, delivered=1, auto_replies=1, human_replies=0,
                       substantive=0, formal=0, overdue=0)
        for k, v in want_se.items():
            check(se_row.get(k) == v, f"CERT-SE {k} = {se_row.get(k)}, expected {v}")
        for k, v in want_us.items():
            check(us_row.get(k) == v, f"US CERT {k} = {us_row.get(k)}, expected {v}")
        h = se_row.get("median_hours_to_reply")
        check(h is not None and 5.0 <= float(h) <= 7.0, f"CERT-SE median hours {h}, expected ~6")
    return report()


def report():
    for f in fails:
        print("FAIL:", f)
    print("pass" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
