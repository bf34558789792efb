#!/usr/bin/env python3
"""run_case.py -- runs one end-to-end case of ward (tests/e2e/<case>/case.yaml).

A case names its input (a trafficgen run, a capture from ../shared/captures, or
all shared captures against their expect.tsv), the arguments for `ward
analyze`, and what the events must show, as counted filters. Every event line
must parse as JSON and, when ../shared/schemas/eve is present, pass Suricata's
EVE schema. Exit 0 pass, 1 fail, 77 skipped (a shared file is missing).

case.yaml keys:
  description: text
  input:  {trafficgen: [ARGS...]} | {shared: NAME} | {shared_all: true} | {file: PATH}
          (trafficgen with stream: true writes through a named pipe: long
          profiles never land on disk whole)
  args:   [extra ward analyze arguments]
  exit:   expected exit status (default 0)
  expect: list of {where: {dotted.key: value, ...}, count: N | ">=N" | "<=N"}
  config: inline YAML written to the work folder and passed with -c
  truncate: cut the input capture to this many bytes (bad-input cases)
  stderr: regular expression ward's standard error must match
  truth:  true -> every row of the trafficgen truth file needs a matching alert;
          rows of detector `none` and a row's `not=` detectors need none
          (an `exempt=ADDR` row only when the case's config names ADDR)
  no_alerts: true -> no alert event at all
  stats:  {dotted.key: value} checked on the last stats event
"""
import argparse, json, os, re, subprocess, sys, ipaddress

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("WARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
SKIP = 77


def dig(ev, dotted):
    cur = ev
    for part in dotted.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


def same_ip(a, b):
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def matches(ev, where):
    for k, v in where.items():
        got = dig(ev, k)
        if isinstance(v, str) and v.startswith("~"):
            if got is None or not re.search(v[1:], str(got)):
                return False
        elif k.endswith("_ip") and isinstance(v, str):
            if got is None or not same_ip(got, v):
                return False
        elif got != v:
            return False
    return True


def count_ok(n, spec):
    if isinstance(spec, int):
        return n == spec
    m = re.fullmatch(r"\s*(>=|<=|>|<|==)?\s*(\d+)\s*", str(spec))
    op, val = (m.group(1) or "=="), int(m.group(2))
    return {"==": n == val, ">=": n >= val, "<=": n <= val, ">": n > val, "<": n < val}[op]


def run_ward(ward, files, args, work, name):
    out = os.path.join(work, name + ".eve.json")
    if os.path.exists(out):
        os.unlink(out)
    cmd = [ward, "analyze", "--no-progress", "-q", "-o", out] + args + files
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=540)
    events = []
    errors = []
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                try:
                    events.append(json.loads(line))
                except ValueError as e:
                    errors.append(f"{out}:{no}: not JSON: {e}")
    return p, events, errors, out


def eve_schema_check(path):
    v = os.path.join(SHARED, "schemas", "eve", "validate.py")
    if not os.path.exists(v) or os.path.getsize(path) == 0:
        return None
    p = subprocess.run([sys.executable, v, path], capture_output=True, text=True)
    return None if p.returncode == 0 else p.stdout[-3000:] + p.stderr[-1000:]


def alerts_of(events):
    return [e for e in events if e.get("event_type") == "alert"]


def check_pair(alerts, det_re, a, b):
    """Some alert whose detector matches and whose {src, dest} holds a and b."""
    for e in alerts:
        det = dig(e, "ward.detector") or ""
        if not re.search(det_re, det):
            continue
        ends = [x for x in (e.get("src_ip"), e.get("dest_ip")) if x]
        ok_a = a == "*" or any(same_ip(x, a) for x in ends)
        ok_b = b == "*" or any(same_ip(x, b) for x in ends)
        if ok_a and ok_b:
            return True
    return False


def alert_span(e):
    """(first, last) evidence time of an alert in ns, from ward.start and the
    event's timestamp (ward.last_seen on END)."""
    import datetime

    def ns(text):
        if not text:
            return None
        t = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
        return int(t.timestamp()) * 10**9 + t.microsecond * 1000
    ts = ns(e.get("timestamp"))
    first = ns(dig(e, "ward.start")) or ts
    last = ns(dig(e, "ward.last_seen")) or ts
    return first, last


def names(e, attacker, target):
    """The alert names attacker (as a source) and target (either end); '*' is
    anything."""
    src, dst = e.get("src_ip"), e.get("dest_ip")
    ok_a = attacker == "*" or (src is not None and same_ip(src, attacker))
    ok_b = target == "*" or any(x and same_ip(x, target) for x in (src, dst))
    return ok_a and ok_b


def truth_check(rows, alerts, config_text):
    """Rows of a real detector need a matching alert; rows of detector
    `none` (look-alikes, near misses) and the row's `not=` detectors must
    find no alert naming its attacker and target while the row runs. A
    `none` row with `exempt=ADDR` holds only when the configuration names
    ADDR."""
    fails = []
    for row in rows:
        start, end, kind, det, attacker, target = row[:6]
        detail = dict(kv.split("=", 1) for kv in (row[6] if len(row) > 6 else "").split(";")
                      if "=" in kv)
        start, end = int(start), int(end)
        if det != "none" and not check_pair(alerts, "^" + re.escape(det) + "$", attacker, target):
            fails.append(f"truth row not found: {kind} {det} {attacker} -> {target}")
        silent = set(filter(None, detail.get("not", "").split("|")))
        if det == "none":
            ex = detail.get("exempt")
            if ex and ex not in config_text:
                continue
            silent = None  # every detector
        if silent == set():
            continue
        for e in alerts:
            d = dig(e, "ward.detector") or ""
            if silent is not None and d not in silent:
                continue
            first, last = alert_span(e)
            if last < start or first > end or not names(e, attacker, target):
                continue
            fails.append(f"truth row {kind} ({det}, not={detail.get('not', '')}): "
                         f"unexpected {d} {e.get('src_ip')} -> {e.get('dest_ip')}")
            break
    return fails


def shared_all(args, ward, work):
    cap_dir = os.path.join(SHARED, "captures")
    tsv = os.path.join(cap_dir, "expect.tsv")
    if not os.path.exists(tsv):
        print("skipped: ../shared/captures is absent")
        return SKIP
    manifest = open(os.path.join(cap_dir, "MANIFEST.md"), encoding="utf-8").read()
    counts = {}
    for m in re.finditer(r"^\| (\S+\.pcap(?:ng)?) \| ([\d,]+) \|", manifest, re.M):
        counts[m.group(1)] = int(m.group(2).replace(",", ""))
    for m in re.finditer(r"^\| (benign-\S+\.pcap) \| .*? \| (\d[\d,]*), ", manifest, re.M):
        counts[m.group(1)] = int(m.group(2).replace(",", ""))
    rows = [l.rstrip("\n").split("\t") for l in open(tsv, encoding="utf-8")
            if l.strip() and not l.startswith("#")]
    files = sorted(f for f in os.listdir(cap_dir) if re.search(r"\.pcap(ng)?$", f))
    fails = []
    results = {}
    for f in files:
        p, events, errors, out = run_ward(ward, [os.path.join(cap_dir, f)], args, work, f)
        if p.returncode < 0 or p.returncode not in (0,):
            fails.append(f"{f}: ward exited {p.returncode}: {p.stderr[-500:]}")
        fails += errors
        bad = eve_schema_check(out)
        if bad:
            fails.append(f"{f}: EVE schema: {bad}")
        stats = [e for e in events if e.get("event_type") == "stats"]
        pk = dig(stats[-1], "stats.decoder.pkts") if stats else None
        if f in counts and pk != counts[f]:
            fails.append(f"{f}: {pk} packets, MANIFEST.md says {counts[f]}")
        results[f] = alerts_of(events)
    for row in rows:
        f, kind, det_re, a, b = row[:5]
        alerts = results.get(f)
        if alerts is None:
            fails.append(f"{f}: in expect.tsv but not found")
            continue
        if kind == "must" and not check_pair(alerts, det_re, a, b):
            fails.append(f"{f}: expected an alert {det_re} between {a} and {b}; got "
                         + ", ".join(sorted({str(dig(e, 'ward.detector')) for e in alerts})))
        if kind == "mustnot":
            hit = [e for e in alerts if re.search(det_re, dig(e, "ward.detector") or "")
                   and (a == "*" or check_pair([e], det_re, a, "*"))]
            if hit:
                fails.append(f"{f}: no {det_re} alert expected, got "
                             + "; ".join(f"{dig(e, 'ward.detector')} {e.get('src_ip')}->{e.get('dest_ip')}"
                                         for e in hit[:5]))
    for f, alerts in results.items():
        print(f"{f}: {len(alerts)} alerts " +
              ", ".join(sorted({f'{dig(e, "ward.detector")}/{dig(e, "ward.state")}' for e in alerts})))
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    case = yaml.safe_load(open(os.path.join(o.case, "case.yaml"), encoding="utf-8"))
    os.makedirs(o.work, exist_ok=True)
    args = [str(a) for a in case.get("args", [])]
    inp = case.get("input", {})
    truth_rows = []
    if inp.get("shared_all"):
        fails = shared_all(args, o.ward, o.work)
        if fails == SKIP:
            return SKIP
        return report(fails)
    if "trafficgen" in inp:
        pcap = os.path.join(o.work, "input.pcap")
        truth = os.path.join(o.work, "input.truth.tsv")
        cmd = [o.trafficgen] + [str(a) for a in inp["trafficgen"]] + ["-o", pcap, "--truth", truth]
        if inp.get("stream"):
            # hours of traffic: through a named pipe, never on disk whole
            if os.path.lexists(pcap):
                os.remove(pcap)
            os.mkfifo(pcap)
            gen = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        else:
            subprocess.run(cmd, check=True, timeout=300)
        files = [pcap]
    elif "shared" in inp:
        path = os.path.join(SHARED, "captures", inp["shared"])
        if not os.path.exists(path):
            print(f"skipped: {path} is absent")
            return SKIP
        files = [path]
    else:
        files = [os.path.join(o.case, inp["file"])]
    if "truncate" in case:
        cut = os.path.join(o.work, "truncated.pcap")
        with open(files[0], "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(int(case["truncate"])))
        files = [cut]
    if "config" in case:
        cfg = os.path.join(o.work, "case-config.yaml")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(case["config"])
        args = ["-c", cfg] + args
    p, events, fails, out = run_ward(o.ward, files, args, o.work, "out")
    if "trafficgen" in inp:
        if inp.get("stream") and gen.wait(timeout=300) != 0:
            fails.append(f"trafficgen exited {gen.returncode}")
        truth_rows = [l.rstrip("\n").split("\t") for l in open(truth, encoding="utf-8")
                      if l.strip() and not l.startswith("#")]
    if "stderr" in case and not re.search(case["stderr"], p.stderr):
        fails.append(f"stderr does not match {case['stderr']!r}: {p.stderr[-800:]}")
    if p.returncode != case.get("exit", 0):
        fails.append(f"ward exited {p.returncode}, expected {case.get('exit', 0)}: {p.stderr[-800:]}")
    bad = eve_schema_check(out) if os.path.exists(out) else None
    if bad:
        fails.append("EVE schema: " + bad)
    for exp in case.get("expect", []):
        n = sum(1 for e in events if matches(e, exp.get("where", {})))
        if not count_ok(n, exp.get("count", ">=1")):
            fails.append(f"expected {exp.get('count', '>=1')} events where {exp.get('where')}, got {n}")
    alerts = alerts_of(events)
    if case.get("no_alerts") and alerts:
        fails.append("expected no alert, got: " + "; ".join(
            f"{dig(e, 'ward.detector')} {e.get('src_ip')}->{e.get('dest_ip')}" for e in alerts[:8]))
    if case.get("truth"):
        fails += truth_check(truth_rows, alerts, case.get("config") or "")
    stats = [e for e in events if e.get("event_type") == "stats"]
    for k, v in (case.get("stats") or {}).items():
        got = dig(stats[-1], k) if stats else None
        if got != v:
            fails.append(f"stats {k} = {got}, expected {v}")
    print(f"{len(events)} events, {len(alerts)} alerts: " +
          ", ".join(sorted({f'{dig(e, "ward.detector")}/{dig(e, "ward.state")}' for e in alerts})))
    return report(fails)


def report(fails):
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
