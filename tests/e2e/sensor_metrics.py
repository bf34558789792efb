#!/usr/bin/python3
"""sensor_metrics.py WARD -- the sensor's Prometheus endpoint (`--metrics
ADDR:PORT`, shared by ward watch and ward analyze): a capture fed to ward
analyze's standard input in two parts; while the second is held back, the
metrics of the first are served (packets, bytes, flows, tables, alerts by
detector) from the worker's snapshots, pass `promtool check metrics` when
promtool is installed, and grow once the rest is fed; with only the header fed they are served
before any frame. The capture ends three ways: the pipe
closes; SIGINT, and SIGTERM with engine.reader off, once ward waits on
the pipe, still open and quiet (the wait must give way: exit 0 and a
last stats event counting every frame fed). Waits are for conditions with
deadlines, never fixed sleeps."""
import json, os, platform, queue, re, select, shutil, signal, struct, subprocess, sys, tempfile, threading, time, urllib.request

ward = sys.argv[1]
T0 = 1776330169


def frame(i):
    payload = b"ward-metrics-%04d" % i
    udp = struct.pack("!HHHH", 40000 + i % 7, 53, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1 + i % 5]), bytes([192, 0, 2, 53])) + udp
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip
    ts = T0 * 10**6 + i * 250000  # 4 frames a second of traffic time
    return struct.pack("<IIII", ts // 10**6, ts % 10**6, len(eth), len(eth)) + eth


header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
first = b"".join(frame(i) for i in range(20))  # 5 s
second = b"".join(frame(i) for i in range(20, 40))


POLL_CALLS = {"x86_64": {7, 271}, "aarch64": {73}}.get(platform.machine())


def polling(pid, reader):
    """Whether ward's thread that reads the capture (the reader thread, else
    the main one) waits in poll: True, False, or None when this machine
    does not show it."""
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            if (comm == "ward-reader") if reader else int(tid) == pid:
                with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                    field = f.read().split()[0]
                if POLL_CALLS is None:
                    return None
                return field.isdigit() and int(field) in POLL_CALLS
    except OSError:
        return None
    return False  # the reader thread has not started yet


def run(extra, ending, eve, frames=True):
    """One ward analyze on a pipe, fed in two parts (frames) or only the
    file header; ends it by `ending` ("eof" or a signal) and returns the
    packets counted after the first part and the frames of the last stats
    event."""
    global p
    p = subprocess.Popen([ward, "analyze", "-q", "--no-progress", "--metrics", "127.0.0.1:0",
                          "-o", eve] + extra + ["-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def fail(msg):
        p.kill()
        sys.exit(msg)

    # the capture is opened (its header read) before the metrics server
    # starts; its first frame may be long coming
    p.stdin.write(header + (first if frames else b""))
    p.stdin.flush()
    lines = queue.Queue()
    log = []

    def read_stderr():
        for raw in p.stderr:
            log.append(raw.decode(errors="replace"))
            lines.put(log[-1])
        lines.put(None)

    threading.Thread(target=read_stderr, daemon=True).start()
    url, deadline = None, time.monotonic() + 20
    while url is None:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            fail("no 'metrics on URL' line: " + "".join(log))
        m = re.search(r"metrics on (\S+)", line)
        if m:
            url = m.group(1)

    def scrape():
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/plain")
            return r.read().decode()

    def value(text, name):
        m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(m.group(1)) if m else None

    def wait_for(cond, what):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            t = scrape()
            if cond(t):
                return t
            select.select([], [], [], 0.05)  # a short pause between scrapes
        fail(f"metrics never showed {what}:\n{scrape()}")

    n1, want = 0, 0
    if frames:
        t = wait_for(lambda t: (value(t, "ward_sensor_packets_total") or 0) >= 4, "the first packets")
        n1 = value(t, "ward_sensor_packets_total")
        if n1 > 20:
            fail(f"{n1} packets counted before the rest was fed")
        for name in ("ward_sensor_bytes_total", "ward_sensor_flows_created_total",
                     "ward_sensor_decode_errors_total"):
            if value(t, name) is None:
                fail(f"{name} missing:\n{t}")
        if 'ward_sensor_table_memory_limit_bytes{table="flow"}' not in t or \
                "ward_sensor_alerts_total{detector=" not in t or \
                not (value(t, 'ward_sensor_detector_memory_bytes{detector="scan.horizontal"}') or 0) or \
                value(t, 'ward_sensor_detector_evicted_total{detector="scan.horizontal"}') is None:
            fail(f"tables or detectors missing:\n{t}")
        promtool = shutil.which("promtool")
        if promtool:
            pc = subprocess.run([promtool, "check", "metrics"], input=t, capture_output=True, text=True)
            if pc.returncode != 0:
                fail(f"promtool: {pc.stdout}{pc.stderr}")
        p.stdin.write(second)
        p.stdin.flush()
        t = wait_for(lambda t: (value(t, "ward_sensor_packets_total") or 0) > max(n1, 20),
                     "the second part")
        want = 40
    if ending == "eof":
        p.stdin.close()
    else:
        # The signal must find ward waiting on its quiet pipe, every frame
        # read: the thread that reads it is then in poll.
        deadline = time.monotonic() + 20
        while (w := polling(p.pid, not extra)) is False:
            if time.monotonic() > deadline:
                fail("ward never waited on its quiet pipe")
            select.select([], [], [], 0.01)
        if w is None:  # this machine hides it: some frames may be unread
            want = None
        p.send_signal(ending)  # the pipe stays open: ward waits on it
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"ward analyze did not stop on {getattr(ending, 'name', ending)} "
             "while its pipe was open")
    if rc != 0:
        sys.exit(f"ward analyze exit {rc} ({getattr(ending, 'name', ending)}): "
                 f"{''.join(log)}")
    with open(eve) as f:
        stats = [e for e in map(json.loads, f) if e["event_type"] == "stats"]
    got = stats[-1]["stats"]["decoder"]["pkts"] if stats else None
    if got is None or got < n1 or (want is not None and got != want):
        sys.exit(f"last stats after {getattr(ending, 'name', ending)}: "
                 f"{stats[-1:] or 'none'}")
    p.stdin.close()
    return n1, got


p = None
with tempfile.TemporaryDirectory() as tmp:
    noreader = os.path.join(tmp, "noreader.yaml")
    with open(noreader, "w") as f:
        f.write("engine:\n  reader: false\n")
    for n, (extra, ending) in enumerate([([], "eof"), ([], signal.SIGINT),
                                         (["-c", noreader], signal.SIGTERM)]):
        n1, got = run(extra, ending, os.path.join(tmp, f"eve{n}.json"))
        print(f"sensor metrics: {n1} then more packets counted, then ended by "
              f"{getattr(ending, 'name', ending)}{' (reader off)' if extra else ''}: "
              f"{got} frames in the last stats")
    # Only the file header, and a quiet pipe: the metrics are served and a
    # signal still ends the run cleanly, before any frame.
    for extra in ([], ["-c", noreader]):
        run(extra, signal.SIGINT, os.path.join(tmp, f"eve-quiet{len(extra)}.json"),
            frames=False)
        print("sensor metrics: served before any frame, then ended by SIGINT"
              f"{' (reader off)' if extra else ''}")
print(f"promtool {'passed' if shutil.which('promtool') else 'not installed'}")
