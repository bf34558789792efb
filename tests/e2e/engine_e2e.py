#!/usr/bin/env python3
"""engine_e2e.py CASE --ward W --trafficgen G --work DIR -- the engine (its
packet thread and its worker) through the real binary.

Cases:
  slow-store  `ward analyze --db` of a generated capture with every store
              commit slowed (WARD_TEST_STORE_DELAY_MS, a slow disk) stores
              every alert and the same incidents as the same run unslowed,
              writes the same events, and its packet thread never touches
              the store (WARD_STORE_THREAD_CHECK=abort would kill it).
  idle-watch  `ward watch` on a veth between two network namespaces: with
              no packet at all its stats events keep coming (traffic time
              follows the wall clock from the start); after a short SYN
              flood and then silence, the flood's END alert and more stats
              come without any further packet. Needs root, iproute2 and
              tcpreplay (else skipped).
Every wait is for a condition with a deadline, never a fixed sleep.
Exit 0 pass, 1 fail, 77 skipped."""
import argparse, json, os, shutil, signal, sqlite3, subprocess, sys, time

fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
    return cond


def events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line being written
    except OSError:
        pass
    return out


def slow_store(a):
    pcap = os.path.join(a.work, "attacks.pcap")
    subprocess.run([a.trafficgen, "--seed", "9", "--profile", "benign",
                    "--duration", "30", "--hosts", "80",
                    "--attack", "scan-horizontal:at=2",
                    "--attack", "ms17-010:at=6,implant=1",
                    "--attack", "smb-worm:at=10,count=30",
                    "--attack", "syn-flood:at=16,duration=3",
                    "--attack", "amplification:at=22,proto=dns,duration=2",
                    "-o", pcap], check=True, stdout=subprocess.DEVNULL)
    runs = {}
    for name, delay in (("fast", None), ("slow", "40")):
        cfg = os.path.join(a.work, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(f"evidence:\n  dir: {a.work}/evidence-{name}\n"
                    "engine:\n  queue: 16\n")
        db = os.path.join(a.work, name + ".db")
        for stale in (db, db + "-wal", db + "-shm"):  # an earlier run's
            if os.path.exists(stale):
                os.remove(stale)
        env = dict(os.environ, WARD_STORE_THREAD_CHECK="abort")
        if delay:
            env["WARD_TEST_STORE_DELAY_MS"] = delay
        t0 = time.monotonic()
        p = subprocess.run([a.ward, "analyze", "--no-progress", "-q", "-c", cfg,
                            "--db", db, "--json", pcap],
                           capture_output=True, text=True, env=env)
        took = time.monotonic() - t0
        if not check(p.returncode == 0,
                     f"{name}: ward analyze exited {p.returncode}: {p.stderr}"):
            return
        evs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        con = sqlite3.connect(db)
        reports = con.execute("SELECT SUM(reports) FROM incident_attacks").fetchone()[0]
        incs = con.execute("SELECT corr_key, class, type, alerts, packets FROM incidents"
                           " ORDER BY corr_key, first_ns").fetchall()
        ev = con.execute("SELECT COUNT(*) FROM incidents WHERE evidence_path"
                         " IS NOT NULL AND evidence_path != ''").fetchone()[0]
        con.close()
        alerts = [e for e in evs if e["event_type"] == "alert"]
        stats = [e for e in evs if e["event_type"] == "stats"][-1]
        runs[name] = dict(alerts=alerts, reports=reports, incs=incs, ev=ev,
                          stats=stats, took=took)
        print(f"{name}: {len(alerts)} alerts, {reports} stored reports, "
              f"{len(incs)} incidents, {ev} with evidence, {took:.2f} s, "
              f"engine {stats['ward']['engine']}")
    f, s = runs["fast"], runs["slow"]
    check(len(f["alerts"]) >= 8, f"only {len(f['alerts'])} alerts: the capture has five attacks")
    check(f["reports"] == len(f["alerts"]), "fast: stored reports != alerts")
    check(s["reports"] == len(s["alerts"]), "slow: stored reports != alerts")

    def key(e):
        return (e["timestamp"], e["ward"]["detector"], e["ward"]["state"],
                e.get("src_ip"), e.get("dest_ip"))
    check([key(e) for e in f["alerts"]] == [key(e) for e in s["alerts"]],
          "slow: alerts differ from the unslowed run")
    check(f["incs"] == s["incs"], f"incidents differ: {f['incs']} vs {s['incs']}")
    check(f["ev"] == s["ev"] and f["ev"] > 0, "evidence files differ")
    for n in ("fast", "slow"):
        eng = runs[n]["stats"]["ward"]["engine"]
        check(eng["frames_dropped"] == 0 and eng["ticks_dropped"] == 0,
              f"{n}: analyze dropped records: {eng}")
        check(eng["queue_size"] == 16, f"{n}: engine.queue not applied: {eng}")


def idle_watch(a):
    def skip(why):
        print("skipped:", why)
        sys.exit(77)
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    for tool in ("ip", "tcpreplay"):
        if not shutil.which(tool):
            skip(tool + " missing")
    na, nb = f"wdeA{os.getpid()}", f"wdeB{os.getpid()}"
    proc = None

    def ip(*args, ok=True):
        r = subprocess.run(["ip", *args], capture_output=True, text=True)
        if ok and r.returncode != 0:
            skip("ip " + " ".join(args) + ": " + r.stderr.strip())
        return r
    try:
        ip("netns", "add", na)
        ip("netns", "add", nb)
        ip("link", "add", "vea", "netns", na, "type", "veth", "peer", "name", "veb",
           "netns", nb)
        ip("-n", na, "link", "set", "vea", "up")
        ip("-n", nb, "link", "set", "veb", "up")
        for n in (na, nb):
            subprocess.run(["ip", "netns", "exec", n, "sysctl", "-qw",
                            "net.ipv6.conf.all.disable_ipv6=1"], capture_output=True)
        pcap = os.path.join(a.work, "flood.pcap")
        subprocess.run([a.trafficgen, "--seed", "4", "--profile", "none",
                        "--attack", "syn-flood:at=0,duration=2,rate=3000",
                        "-o", pcap], check=True, stdout=subprocess.DEVNULL)
        cfg = os.path.join(a.work, "cfg.yaml")
        with open(cfg, "w") as f:
            f.write("detect:\n  end_after: 2s\n")
        out = os.path.join(a.work, "watch.json")
        if os.path.exists(out):
            os.unlink(out)
        err = open(os.path.join(a.work, "watch.err"), "w")
        proc = subprocess.Popen(["ip", "netns", "exec", nb, a.ward, "watch", "-i", "veb",
                                 "-q", "-c", cfg, "-o", out, "--stats-interval", "1"],
                                stderr=err, env=dict(os.environ,
                                                     WARD_STORE_THREAD_CHECK="abort"))

        def wait_for(cond, secs, what):
            end = time.monotonic() + secs
            while time.monotonic() < end:
                if proc.poll() is not None:
                    return check(False, f"ward watch died ({proc.returncode}) waiting for {what}")
                evs = events(out)
                if cond(evs):
                    return True
                time.sleep(0.1)
            return check(False, f"no {what} within {secs} s")

        def stats(evs):
            return [e for e in evs if e["event_type"] == "stats"]
        # 1. nothing on the link: stats keep coming all the same
        if not wait_for(lambda evs: len(stats(evs)) >= 3, 120,
                        "three stats events on a silent link"):
            return
        st = stats(events(out))
        check(all(e["stats"]["decoder"]["pkts"] == 0 for e in st),
              "stats counted packets on a silent link")
        check(st[-1]["stats"]["uptime"] >= 2, f"uptime does not move: {st[-1]['stats']}")
        # 2. a short flood, then silence: its END comes on the clock alone
        r = subprocess.run(["ip", "netns", "exec", na, "tcpreplay", "-q", "-i", "vea", pcap],
                           capture_output=True, text=True)
        if not check(r.returncode == 0, "tcpreplay: " + r.stderr):
            return
        sent_at = time.time()

        def ended(evs):
            return [e for e in evs if e["event_type"] == "alert"
                    and e["ward"]["detector"] == "ddos.syn-flood"
                    and e["ward"]["state"] == "end"]
        if not wait_for(lambda evs: ended(evs), 120, "END alert of the flood"):
            return
        n_end = len(stats(events(out)))
        # and stats still come after it
        wait_for(lambda evs: len(stats(evs)) >= n_end + 2, 60,
                 "stats events after the END")
        evs = events(out)
        starts = [e for e in evs if e["event_type"] == "alert"
                  and e["ward"]["state"] == "start"]
        check(any(e["ward"]["detector"] == "ddos.syn-flood" for e in starts),
              "no START of the flood")
        last = stats(evs)[-1]["stats"]["decoder"]["pkts"]
        check(last >= 5000, f"watch counted {last} packets of the flood's ~6000")
        print(f"stats events: {len(stats(evs))}, END {time.time() - sent_at:.1f} s "
              f"after the replay, packets {last}")
    finally:
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                rc = proc.wait(30)
                check(rc == 0, f"ward watch exited {rc}")
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "ward watch did not stop on SIGINT")
        for n in (na, nb):
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["slow-store", "idle-watch"])
    ap.add_argument("--ward", required=True)
    ap.add_argument("--trafficgen", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    {"slow-store": slow_store, "idle-watch": idle_watch}[a.case](a)
    for f in fails:
        print("FAIL:", f)
    sys.exit(1 if fails else 0)


main()
