#!/usr/bin/env python3
"""cli_e2e.py -- ward's command line through the real binary, one case per run.

  linktype      a capture of a link type ward cannot decode: named at once with
                the supported list, exit 4; next to a good file the good one is
                still analyzed
  pcapng-multi  a pcapng with Ethernet, Linux cooked and raw-IP interfaces
                (built from trafficgen captures): every frame is analyzed with
                its own link type and the attacks in each are found
  unread        a missing file or one that yields nothing, next to a good one:
                the good one is analyzed, exit 4
  numbers       bad numeric option values of every command are usage errors
                (exit 2) naming the option and the range
  help          --help of every command and subcommand prints its own usage and
                exits 0; --version is in the global help
  watch         watch without privilege says what is needed (setpriv to nobody),
                a bad BPF filter is a usage error with libpcap's reason
  progress      the progress line on a regular file shows the share read and the
                time left, not on standard input
  profile-stages  analyze --profile-stages prints ns/packet for every stage and
                detector, the stages add up to the total, the alerts are the
                same as without it; watch refuses the option (exit 2)
  config-check  config check opens what the configuration names: a wrong
                MaxMind file, a missing directory file, a missing evidence
                folder are each reported with exit 3; a good one passes

Exit 0 pass, 1 fail, 77 skipped.
"""
import argparse, json, os, re, shutil, struct, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("WARD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
SKIP = 77
fails = []


def check(ok, msg):
    if not ok:
        fails.append(msg)
    return ok


def ward(o, *args, stdin=None, env=None, timeout=120, prefix=()):
    return subprocess.run(list(prefix) + [o.ward] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, stdin=stdin, env=env)


def gen(o, name, args):
    path = os.path.join(o.work, name + ".pcap")
    subprocess.run([o.trafficgen, "-q", "-o", path] + [str(a) for a in args], check=True, timeout=120)
    return path


def read_pcap(path):
    """(linktype, [(sec, usec_or_ns, nano, data)]) of a classic pcap."""
    with open(path, "rb") as f:
        b = f.read()
    magic = struct.unpack("<I", b[:4])[0]
    nano = magic == 0xa1b23c4d
    lt = struct.unpack("<I", b[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(b):
        sec, frac, cap, _ = struct.unpack("<IIII", b[off:off + 16])
        recs.append((sec, frac, nano, b[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt, recs


def block(t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)


def write_pcapng(path, inputs):
    """One interface per input pcap, frames interleaved in time order."""
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    frames = []
    for i, p in enumerate(inputs):
        lt, recs = read_pcap(p)
        # interface i: nanosecond resolution (if_tsresol 9)
        out.append(block(1, struct.pack("<HHI", lt, 0, 0) + struct.pack("<HH", 9, 1) + b"\x09\0\0\0"
                         + struct.pack("<HH", 0, 0)))
        for sec, frac, nano, data in recs:
            ns = sec * 10**9 + (frac if nano else frac * 1000)
            frames.append((ns, i, data))
    frames.sort(key=lambda x: (x[0], x[1]))
    for ns, i, data in frames:
        out.append(block(6, struct.pack("<IIIII", i, ns >> 32, ns & 0xFFFFFFFF, len(data), len(data)) + data))
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return len(frames)


def write_pcap_linktype(path, lt, n=5):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, lt))
        for i in range(n):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, 20, 20) + bytes(20))


def events(path):
    import json
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def case_linktype(o):
    bad = os.path.join(o.work, "lt4242.pcap")
    write_pcap_linktype(bad, 4242)
    p = ward(o, "analyze", "--no-progress", "-q", bad)
    check(p.returncode == 4, f"unsupported link type: exit {p.returncode}, expected 4")
    check(re.search(r"lt4242\.pcap: link type 4242 is not supported; supported: .*ethernet \(1\)"
                    r".*raw \(12, 14, 101\).*sll \(113\)", p.stderr),
          f"no clear link-type message: {p.stderr!r}")
    good = gen(o, "good", ["--seed", "3", "--duration", "3", "--hosts", "10", "--rate", "100"])
    out = os.path.join(o.work, "lt.eve.json")
    p = ward(o, "analyze", "--no-progress", "-q", "-o", out, bad, good)
    check(p.returncode == 4, f"bad + good: exit {p.returncode}, expected 4")
    st = [e for e in events(out) if e.get("event_type") == "stats"]
    check(st and st[-1]["stats"]["decoder"]["pkts"] > 0, "the good file was not analyzed")


def case_pcapng_multi(o):
    common = ["--duration", "20", "--hosts", "20", "--rate", "50"]
    a = gen(o, "eth", ["--seed", "11", "--linktype", "ether", "--attack", "scan-vertical:at=2"] + common)
    b = gen(o, "sll", ["--seed", "12", "--linktype", "sll", "--attack",
                       "scan-horizontal:at=4,src=10.20.9.9"] + common)
    c = gen(o, "raw", ["--seed", "13", "--linktype", "raw", "--attack", "syn-flood:at=6,rate=5000,duration=3"] + common)
    ng = os.path.join(o.work, "multi.pcapng")
    n = write_pcapng(ng, [a, b, c])
    out = os.path.join(o.work, "multi.eve.json")
    p = ward(o, "analyze", "--no-progress", "-q", "-o", out, ng)
    check(p.returncode == 0, f"multi-interface pcapng: exit {p.returncode}: {p.stderr[-400:]}")
    ev = events(out) if os.path.exists(out) else []
    st = [e for e in ev if e.get("event_type") == "stats"]
    if not check(st, "no stats event"):
        return
    d = st[-1]["stats"]["decoder"]
    check(d["pkts"] == n, f"{d['pkts']} packets analyzed, the file has {n}")
    check(d["invalid"] == 0, f"{d['invalid']} frames invalid (wrong link type applied?)")
    check(d["ethernet"] > 0 and d["sll"] > 0 and d["raw"] > 0,
          f"link types counted: ethernet {d['ethernet']}, sll {d['sll']}, raw {d['raw']}")
    dets = {e["ward"]["detector"] for e in ev if e.get("event_type") == "alert"}
    for want in ("scan.vertical", "scan.horizontal", "ddos.syn-flood"):
        check(want in dets, f"{want} not found in the multi-interface pcapng (got {sorted(dets)})")


def case_unread(o):
    good = gen(o, "good", ["--seed", "4", "--duration", "3", "--hosts", "10", "--rate", "100"])
    missing = os.path.join(o.work, "missing.pcap")
    hdr_only = os.path.join(o.work, "cut.pcap")
    with open(good, "rb") as f, open(hdr_only, "wb") as g:
        g.write(f.read(24 + 10))  # header and a piece of the first record
    ng = os.path.join(o.work, "empty-iface.pcapng")
    with open(ng, "wb") as f:  # only an interface of an unsupported type, with frames
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 4242, 0, 0)))
        f.write(block(6, struct.pack("<IIIII", 0, 0, 1, 4, 4) + b"abcd"))
    for bad in (missing, hdr_only, ng):
        out = os.path.join(o.work, "u.eve.json")
        if os.path.exists(out):
            os.unlink(out)
        p = ward(o, "analyze", "--no-progress", "-q", "-o", out, bad, good)
        name = os.path.basename(bad)
        check(p.returncode == 4, f"{name} + good.pcap: exit {p.returncode}, expected 4")
        check(name in p.stderr, f"{name} not named on stderr: {p.stderr!r}")
        st = [e for e in events(out) if e.get("event_type") == "stats"] if os.path.exists(out) else []
        check(st and st[-1]["stats"]["decoder"]["pkts"] > 0, f"{name}: the good file was not analyzed")
    # A well-formed capture without frames is read, not an error.
    empty = os.path.join(o.work, "empty.pcap")
    with open(good, "rb") as f, open(empty, "wb") as g:
        g.write(f.read(24))
    p = ward(o, "analyze", "--no-progress", "-q", empty)
    check(p.returncode == 0, f"empty capture: exit {p.returncode}")


def usage_error(o, args, opt, what):
    p = ward(o, *args, timeout=20)
    ok = check(p.returncode == 2, f"ward {' '.join(args)}: exit {p.returncode}, expected 2")
    ok = check(opt in p.stderr and re.search(what, p.stderr),
               f"ward {' '.join(args)}: message does not name {opt} and {what!r}: {p.stderr!r}") and ok
    return ok


def case_numbers(o):
    good = gen(o, "good", ["--seed", "5", "--duration", "2", "--hosts", "5", "--rate", "20"])
    for v in ("abc", "-1", "0", "99999999999999999999999", "2x", "", " 5", "1.5"):
        usage_error(o, ["watch", "-i", "lo", "--duration", v], "--duration", r"whole number.*1 to")
    for v in ("abc", "-5", "2x", "1e3", "99999999999999999999999"):
        usage_error(o, ["analyze", "--stats-interval", v, good], "--stats-interval", r"whole number.*0 to")
    for v in ("abc", "-1", "10x"):
        usage_error(o, ["incidents", "list", "--db", os.path.join(o.work, "n.db"), "--limit", v],
                    "--limit", r"whole number")
    p = ward(o, "analyze", "--no-progress", "-q", "--stats-interval", "1", good)
    check(p.returncode == 0, f"--stats-interval 1: exit {p.returncode}: {p.stderr}")


def case_help(o):
    p = ward(o, "--help")
    check(p.returncode == 0 and "--version" in p.stdout, "global --help lacks --version")
    for cmd in ("analyze", "watch", "config", "incidents", "notify", "inbox", "reply", "report", "token",
                "parties", "serve", "version"):
        p = ward(o, cmd, "--help", timeout=20)
        check(p.returncode == 0, f"ward {cmd} --help: exit {p.returncode}: {p.stderr[-200:]}")
        check(re.search(rf"usage: ward {cmd}\b", p.stdout),
              f"ward {cmd} --help does not print its own usage: {p.stdout[:200]!r}")
        check(not p.stdout.startswith("usage: ward COMMAND"), f"ward {cmd} --help prints the global help")
    for sub in (["incidents", "list"], ["incidents", "show"], ["config", "check"], ["config", "show"],
                ["parties", "import"], ["parties", "list"]):
        p = ward(o, *sub, "--help", timeout=20)
        check(p.returncode == 0 and f"usage: ward {sub[0]}" in p.stdout,
              f"ward {' '.join(sub)} --help: exit {p.returncode}, {p.stdout[:100]!r}")
    p = ward(o, "--version")
    check(p.returncode == 0 and p.stdout.startswith("ward "), "--version")


def case_watch(o):
    p = ward(o, "watch", "-i", "lo", "-f", "tcp port nonsense", "--duration", "1", "-q", timeout=30)
    check(p.returncode == 2, f"bad BPF: exit {p.returncode}, expected 2: {p.stderr}")
    check("nonsense" in p.stderr and re.search(r"filter", p.stderr), f"bad BPF message: {p.stderr!r}")
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        print("privilege sub-case skipped: needs root and setpriv to drop privileges")
        return
    p = ward(o, "watch", "-i", "lo", "--duration", "1", "-q", timeout=30,
             prefix=[setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all"])
    check(p.returncode == 4, f"unprivileged watch: exit {p.returncode}, expected 4: {p.stderr}")
    check("root" in p.stderr and "setcap cap_net_raw,cap_net_admin+eip" in p.stderr,
          f"unprivileged watch does not say what is needed: {p.stderr!r}")


def case_progress(o):
    # More than 65536 packets: the first progress check prints a line.
    big = gen(o, "big", ["--seed", "6", "--duration", "60", "--hosts", "100", "--rate", "2000"])
    p = ward(o, "analyze", "--progress", "-q", big)
    check(p.returncode == 0, f"--progress: exit {p.returncode}")
    lines = [l for l in re.split(r"[\r\n]", p.stderr) if l.startswith("ward:")]
    mid = [l for l in lines if re.search(r"\d+% read, about \d+ s left", l)]
    check(mid, f"no progress line with the share read and time left: {lines[:4]}")
    check(lines and "100% read" in lines[-1], f"last progress line: {lines[-1:]}")
    # Through a pipe the size is unknown: no share, no estimate.
    cat = subprocess.Popen(["cat", big], stdout=subprocess.PIPE)
    p = ward(o, "analyze", "--progress", "-q", "-", stdin=cat.stdout)
    cat.stdout.close()
    cat.wait()
    check(p.returncode == 0 and "packets" in p.stderr and "% read" not in p.stderr,
          f"progress on a pipe shows a share: {p.stderr[-200:]!r}")


def case_profile_stages(o):
    cap = gen(o, "mix", ["--seed", "11", "--profile", "demo"])

    def alerts(path):
        out = []
        for line in open(path):
            ev = json.loads(line)
            if ev.get("event_type") == "alert":
                out.append(json.dumps(ev, sort_keys=True))
        return out

    plain, prof = os.path.join(o.work, "plain.json"), os.path.join(o.work, "prof.json")
    for old in (plain, prof):  # EVE output appends: start from nothing
        if os.path.exists(old):
            os.remove(old)
    p = ward(o, "analyze", "-q", "--no-progress", "-o", plain, cap)
    check(p.returncode == 0, f"analyze: exit {p.returncode}: {p.stderr[-300:]}")
    check("stage profile" not in p.stderr, "a profile without --profile-stages")
    p = ward(o, "analyze", "-q", "--no-progress", "--profile-stages", "-o", prof, cap)
    check(p.returncode == 0, f"--profile-stages: exit {p.returncode}: {p.stderr[-300:]}")
    m = re.search(r"stage profile: (\d+) packets, ([\d.]+) ns/packet", p.stderr)
    if not check(m, f"no profile header: {p.stderr[-500:]!r}"):
        return
    check(int(m.group(1)) > 1000, f"packets in the profile: {m.group(1)}")
    rows = dict((r[0].strip(), float(r[1])) for r in
                re.findall(r"^  ([a-z][\w ./-]*?)\s+([\d.]+)\s+[\d.]+%$", p.stderr, re.M))
    for stage in ("capture", "tick", "decode", "flow lookup", "stream/SMB", "output",
                  "detect scan.horizontal", "detect ddos.volumetric", "total"):
        check(stage in rows, f"no row {stage!r} in {sorted(rows)}")
    if "total" in rows:
        parts = sum(v for k, v in rows.items() if k != "total")
        check(abs(parts - rows["total"]) <= 0.1 * len(rows),
              f"stages add up to {parts:.1f}, total {rows['total']}")
        check(rows["total"] > 0, "a zero total")
    a, b = alerts(plain), alerts(prof)
    check(a and a == b, f"alerts differ with --profile-stages: {len(a)} vs {len(b)}")
    p = ward(o, "watch", "-i", "lo", "--profile-stages")
    check(p.returncode == 2 and "--profile-stages" in p.stderr,
          f"watch --profile-stages: exit {p.returncode}: {p.stderr[-200:]}")


def case_workers(o):
    """--workers N: the alerts of one packet thread, in the same order, on a
    generated mix and on every shared capture (when ../shared is there);
    the option's errors."""
    caps = [gen(o, "mix", ["--seed", "11", "--profile", "demo"])]
    shared = os.path.join(SHARED, "captures")
    if os.path.isdir(shared):
        caps += sorted(os.path.join(shared, f) for f in os.listdir(shared)
                       if f.endswith((".pcap", ".pcapng")))
    else:
        print(f"shared captures skipped: {shared} is absent")
    conf = os.path.join(o.work, "workers.yaml")
    with open(conf, "w") as f:
        f.write("memory:\n  cap: 512 MiB\n")
    for cap in caps:
        got = {}
        for n in (1, 2, 3):
            out = os.path.join(o.work, f"w{n}.json")
            if os.path.exists(out):
                os.remove(out)
            p = ward(o, "analyze", "-q", "--no-progress", "-c", conf, "--home-net",
                     "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16", "--workers", str(n),
                     "-o", out, cap)
            check(p.returncode == 0, f"--workers {n} {cap}: exit {p.returncode}: {p.stderr[-300:]}")
            got[n] = [l for l in open(out) if '"event_type":"alert"' in l] if p.returncode == 0 else []
        for n in (2, 3):
            check(got[n] == got[1], f"{os.path.basename(cap)}: {len(got[n])} alerts with "
                  f"--workers {n}, {len(got[1])} with one, or not in the same order")
        if cap == caps[0]:
            check(len(got[1]) >= 5, f"the generated mix gave {len(got[1])} alerts")
    for v in ("0", "17", "x"):
        usage_error(o, ["analyze", "--workers", v, caps[0]], "--workers", r"whole number.*1 to 16")
    usage_error(o, ["watch", "-i", "lo", "--workers", "2"], "--workers", r"analyze")
    usage_error(o, ["analyze", "--profile-stages", "--workers", "2", caps[0]], "--workers",
                r"one packet thread")
    p = ward(o, "analyze", "-q", "--no-progress", "--workers", "2", "-o", os.devnull, caps[0])
    check(p.returncode == 3 and "memory.cap" in p.stderr and "flow.memcap" in p.stderr,
          f"--workers 2 with the default memory.cap: exit {p.returncode}: {p.stderr[-300:]}")


def case_config_check(o):
    geo = os.path.join(SHARED, "data", "geo")
    country, asn = os.path.join(geo, "GeoLite2-Country-Test.mmdb"), os.path.join(geo, "GeoLite2-ASN-Test.mmdb")
    if not os.path.exists(asn):
        print(f"skipped: {asn} is absent")
        sys.exit(SKIP)
    ev = os.path.join(o.work, "evidence")
    os.makedirs(ev, exist_ok=True)
    directory = os.path.join(o.work, "dir.yaml")
    with open(directory, "w") as f:
        f.write("parties:\n  - name: CERT-X\n    kind: national-cert\n    email: cert@example.org\n"
                "    countries: [DE]\n")

    def conf(name, country_db, asn_db, dirfile, evdir):
        path = os.path.join(o.work, name + ".yaml")
        with open(path, "w") as f:
            f.write(f"attribution:\n  country_db: {country_db}\n  asn_db: {asn_db}\n"
                    f"  directory: {dirfile}\nevidence:\n  dir: {evdir}\n"
                    f"db:\n  path: {o.work}/ward.db\n")
        return path

    p = ward(o, "config", "check", "-c", conf("good", country, asn, directory, ev))
    check(p.returncode == 0 and "valid" in p.stdout, f"good config: exit {p.returncode}: {p.stderr}")
    bad = [
        (conf("passwd", country, "/etc/passwd", directory, ev), r"attribution\.asn_db: /etc/passwd: not a MaxMind"),
        (conf("swapped", asn, asn, directory, ev), r"attribution\.country_db: .*ASN.*expected a country"),
        (conf("asn-country", country, country, directory, ev), r"attribution\.asn_db: .*Country.*expected an ASN"),
        (conf("nodir", country, asn, os.path.join(o.work, "nope.yaml"), ev), r"attribution\.directory: .*nope\.yaml"),
        (conf("baddir", country, asn, "/etc/passwd", ev), r"attribution\.directory: /etc/passwd"),
        (conf("noev", country, asn, directory, "/nonexistent/a/b"), r"evidence\.dir: /nonexistent/a/b: does not exist"),
        (conf("evfile", country, asn, directory, "/etc/passwd"), r"evidence\.dir: /etc/passwd: exists but is not a directory"),
    ]
    for path, want in bad:
        p = ward(o, "config", "check", "-c", path)
        name = os.path.basename(path)
        check(p.returncode == 3, f"{name}: exit {p.returncode}, expected 3: {p.stdout}{p.stderr}")
        check(re.search(want, p.stderr), f"{name}: stderr does not match {want!r}: {p.stderr!r}")
        check("valid" not in p.stdout, f"{name}: still called valid")


CASES = {"linktype": case_linktype, "pcapng-multi": case_pcapng_multi, "unread": case_unread,
         "numbers": case_numbers, "help": case_help, "watch": case_watch, "progress": case_progress,
         "config-check": case_config_check, "profile-stages": case_profile_stages,
         "workers": case_workers}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    os.makedirs(o.work, exist_ok=True)
    CASES[o.case](o)
    for f in fails:
        print("FAIL:", f)
    print(f"{o.case}: {'FAIL' if fails else 'ok'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
