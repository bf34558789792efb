#!/usr/bin/python3
"""mime_check.py MSG [--expect-parts N] [--pcap-sha256 HEX] [--subject-has S]
[--from-name S] [--to ADDR] -- parses a ward notification with Python's email
package (policy=default, strict header parsing) and checks it: one From, To,
Date, Message-ID, Subject; no header that ward did not write (no injected Bcc
or X- header); multipart/mixed with a text/plain part first; attachments
decode; the pcap attachment's SHA-256 is the given one. Exit 0 when all hold."""
import argparse, email, email.policy, hashlib, sys

ap = argparse.ArgumentParser()
ap.add_argument("msg")
ap.add_argument("--expect-parts", type=int)
ap.add_argument("--pcap-sha256")
ap.add_argument("--subject-has")
ap.add_argument("--from-name")
ap.add_argument("--to")
a = ap.parse_args()
raw = open(a.msg, "rb").read()
problems = []
if b"\r\n" not in raw or any(l.endswith(b"\r") for l in raw.split(b"\r\n")):
    problems.append("line ends are not CRLF")
for l in raw.split(b"\r\n"):
    if len(l) > 998:
        problems.append("line longer than 998 octets")
msg = email.message_from_bytes(raw, policy=email.policy.default)
allowed = {"date", "from", "to", "subject", "message-id", "in-reply-to", "references",
           "mime-version", "x-mailer", "content-type"}
for k in msg.keys():
    if k.lower() not in allowed:
        problems.append(f"unexpected header {k!r}")
for h in ("From", "To", "Date", "Message-ID", "Subject"):
    if len(msg.get_all(h) or []) != 1:
        problems.append(f"header {h} not present exactly once")
for h in msg.defects:
    problems.append(f"defect {h!r}")
subject = str(msg["Subject"])
if "\r" in subject or "\n" in subject:
    problems.append("CR/LF in decoded subject")
if a.subject_has and a.subject_has not in subject:
    problems.append(f"subject {subject!r} lacks {a.subject_has!r}")
if a.from_name is not None and msg["From"].addresses[0].display_name != a.from_name:
    problems.append(f"From display name {msg['From'].addresses[0].display_name!r}")
if a.to and msg["To"].addresses[0].addr_spec != a.to:
    problems.append(f"To {msg['To'].addresses[0].addr_spec!r}")
if msg.get_content_type() != "multipart/mixed":
    problems.append("not multipart/mixed")
parts = list(msg.iter_parts())
if not parts or parts[0].get_content_type() != "text/plain":
    problems.append("first part is not text/plain")
else:
    body = parts[0].get_content()
    if "\ufffd" not in body and False:
        pass
for p in parts:
    for d in p.defects:
        problems.append(f"part defect {d!r}")
if a.expect_parts is not None and len(parts) != a.expect_parts:
    problems.append(f"{len(parts)} parts, expected {a.expect_parts}")
for p in parts[1:]:
    data = p.get_content()
    if p.get_content_type() == "application/vnd.tcpdump.pcap" and a.pcap_sha256:
        if hashlib.sha256(data).hexdigest() != a.pcap_sha256:
            problems.append("pcap attachment differs")
    if p.get_content_type() == "application/xml" and not data.startswith(b"<?xml"):
        problems.append("xml attachment does not decode to XML")
    if p.get_content_type() == "application/json":
        import json
        json.loads(data)
for pr in problems:
    print(f"{a.msg}: {pr}")
sys.exit(1 if problems else 0)
