#!/usr/bin/python3
"""stix_validate.py VALIDATOR BUNDLE... -- runs shared/schemas/stix/validate.py
(once, on every file) over ward's STIX bundles. Exit 0 when, for every bundle:
(1) the bundle without its incident object is valid, (2) the incident object
alone is valid under sdos/incident.json, (3) validating the whole bundle
reports nothing but the incident entry (OASIS common/bundle.json has no
incident schema; see src/notify/stix.h). Any other complaint fails."""
import json, os, re, subprocess, sys, tempfile

validator, bundles = sys.argv[1], sys.argv[2:]
bad = 0
with tempfile.TemporaryDirectory() as tmp:
    files, inc_idx = [], {}
    for k, path in enumerate(bundles):
        doc = json.load(open(path))
        idx = {i for i, o in enumerate(doc["objects"]) if o.get("type") == "incident"}
        if len(idx) != 1:
            print(f"{path}: expected one incident, found {len(idx)}"); bad += 1
        inc_idx[path] = idx
        rest = dict(doc, objects=[o for o in doc["objects"] if o.get("type") != "incident"])
        rp = os.path.join(tmp, f"rest{k}.json"); json.dump(rest, open(rp, "w"))
        files += [path, rp]
        for i in idx:
            ip = os.path.join(tmp, f"incident{k}.json"); json.dump(doc["objects"][i], open(ip, "w"))
            files.append(ip)
    p = subprocess.run(["/usr/bin/python3", validator, *files], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.endswith(": valid STIX 2.1"):
            continue
        path = line.split(": ", 1)[0]
        m = re.search(r": bundle/objects/(\d+): ", line)
        if path in inc_idx and m and int(m.group(1)) in inc_idx[path]:
            continue  # the known gap: no incident schema in bundle.json
        print(f"unexpected: {line[:400]}"); bad += 1
    for path in files:
        if f"{path}: valid STIX 2.1" not in p.stdout and path not in inc_idx:
            print(f"{path}: not reported valid"); bad += 1
sys.exit(1 if bad else 0)
