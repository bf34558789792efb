#!/bin/sh
# live_watch.sh WARD TRAFFICGEN WORKDIR -- `ward watch` on a real interface.
# Makes two network namespaces joined by a veth pair, replays a generated
# capture with tcpreplay into one end at its recorded speed, runs
# `ward watch` (and tcpdump) on the other end, and checks that ward watch
# reports the same attacks (detector, attacker, target of every start
# alert) as `ward analyze` on the traffic tcpdump recorded there (the
# replay's rates depend on the machine's load; the comparison does not),
# that every frame arrived, and that its stats event carries the kernel
# counters. Every
# wait is for a condition (a stats event counting the frames sent) with a
# deadline, never a fixed sleep.
# Exit 77 (skipped) where the machine lacks the privilege or the tools.
set -u
WARD=$1 GEN=$2 WORK=$3
mkdir -p "$WORK"
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "iproute2 missing"
command -v tcpreplay >/dev/null || skip "tcpreplay missing"
command -v tcpdump >/dev/null || skip "tcpdump missing"

A=wdtA$$ B=wdtB$$
cleanup() {
  [ -n "${WPID:-}" ] && kill "$WPID" 2>/dev/null
  [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
  ip netns del "$A" 2>/dev/null
  ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT INT TERM
ip netns add "$A" 2>/dev/null || skip "cannot create network namespaces here"
ip netns add "$B" || skip "cannot create network namespaces here"
ip link add vwa netns "$A" type veth peer name vwb netns "$B" || skip "cannot create veth"
ip -n "$A" link set vwa up && ip -n "$B" link set vwb up || skip "cannot bring veth up"
# No IPv6 autoconfiguration chatter on the capture side.
ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
ip netns exec "$A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true

PCAP=$WORK/live.pcap
"$GEN" --seed 11 --profile benign --duration 8 --hosts 40 \
  --attack scan-vertical:at=1 --attack syn-flood:at=3,rate=3000,duration=2 \
  --attack ms17-010:at=5 -o "$PCAP" --truth "$WORK/live.truth.tsv" || exit 1

"$WARD" analyze --no-progress -q --json "$PCAP" > "$WORK/analyze.json" || exit 1

# Probe frames to find out when ward is capturing (a stats event counting
# one shows that its capture sees the link).
python3 - "$WORK/probe.pcap" <<'PY'
import struct, sys
# ethertype 0x88b5 (IEEE 802 local experimental): not IP, so ward counts
# it in decoder.pkts but never in decoder.ipv4/ipv6, and no detector sees it
eth = bytes.fromhex("020000000002020000000001") + b"\x88\xb5"
frame = eth + b"ward live-watch probe".ljust(46, b"\0")
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
PY
# The decoder's packet count in the latest stats event of FILE (-1: none);
# with "ip", only its IPv4 and IPv6 packets (the capture's frames, not the
# probes).
stats_pkts() {
  python3 - "$1" "${2:-all}" <<'PY'
import json, sys
n = -1
try:
    for l in open(sys.argv[1]):
        try:
            e = json.loads(l)
        except ValueError:
            continue  # a line being written
        if e.get("event_type") == "stats":
            d = e["stats"]["decoder"]
            n = d["ipv4"] + d["ipv6"] if sys.argv[2] == "ip" else d["pkts"]
except OSError:
    pass
print(n)
PY
}
# Waits (polling, up to $2 seconds) until the shell condition $1 holds.
wait_until() {
  wu_end=$(( $(date +%s) + $2 ))
  while ! eval "$1"; do
    kill -0 "$WPID" 2>/dev/null || return 2
    [ "$(date +%s)" -lt "$wu_end" ] || return 1
    sleep 0.1
  done
}

# IP frames (IPv4 and IPv6 over Ethernet) in a nanosecond pcap written by
# tcpdump; a record cut short at the end of the file is not counted.
ip_frames() {
  python3 - "$1" <<'PY'
import struct, sys
try:
    d = open(sys.argv[1], "rb").read()
except OSError:
    print(0); sys.exit()
n, o = 0, 24
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
while o + 16 <= len(d):
    incl = struct.unpack(e + "I", d[o + 8:o + 12])[0]
    if o + 16 + incl > len(d):
        break
    f = d[o + 16:o + 16 + incl]
    if len(f) >= 14 and f[12:14] in (b"\x08\x00", b"\x86\xdd"):
        n += 1
    o += 16 + incl
print(n)
PY
}

PA=$(stats_pkts "$WORK/analyze.json" ip)
[ "$PA" -gt 0 ] || { echo "FAIL: analyze gave no stats"; exit 1; }
rm -f "$WORK/watch.json" "$WORK/received.pcap"

# tcpdump records what arrives on the capture side, with the kernel's
# timestamps: on a loaded machine tcpreplay cannot keep the recorded rates,
# and what ward watch detects must then equal what `ward analyze` detects
# on the traffic as it arrived, not on the file as it was written.
ip netns exec "$B" tcpdump -i vwb -U -q -B 16384 --time-stamp-precision=nano \
  -w "$WORK/received.pcap" 2> "$WORK/tcpdump.err" &
DPID=$!
end=$(( $(date +%s) + 120 ))
until grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null; do
  kill -0 "$DPID" 2>/dev/null || { cat "$WORK/tcpdump.err"; echo "FAIL: tcpdump did not start"; exit 1; }
  [ "$(date +%s)" -lt "$end" ] || { echo "FAIL: tcpdump not listening after 120 s"; exit 1; }
  sleep 0.1
done

ip netns exec "$B" "$WARD" watch -i vwb -q -o "$WORK/watch.json" --stats-interval 1 \
  2> "$WORK/watch.err" &
WPID=$!
# Ward is capturing once a probe shows up in its stats (it writes stats
# only after its first packet).
end=$(( $(date +%s) + 120 ))
while [ "$(stats_pkts "$WORK/watch.json")" -lt 1 ]; do
  kill -0 "$WPID" 2>/dev/null || { cat "$WORK/watch.err"; echo "FAIL: ward watch did not start"; exit 1; }
  [ "$(date +%s)" -lt "$end" ] || { cat "$WORK/watch.err"; echo "FAIL: ward watch saw no probe in 120 s"; exit 1; }
  ip netns exec "$A" tcpreplay -q -i vwa "$WORK/probe.pcap" > /dev/null 2>&1
  wait_until '[ "$(stats_pkts "$WORK/watch.json")" -ge 1 ]' 1
done
ip netns exec "$A" tcpreplay -q -i vwa "$PCAP" > "$WORK/tcpreplay.log" 2>&1 || {
  cat "$WORK/tcpreplay.log"; echo "FAIL: tcpreplay"; exit 1; }
# Every frame of the capture has been processed once the stats count as
# many IP packets as the file holds (probes keep the stats coming).
end=$(( $(date +%s) + 300 ))
while [ "$(stats_pkts "$WORK/watch.json" ip)" -lt "$PA" ]; do
  kill -0 "$WPID" 2>/dev/null || { cat "$WORK/watch.err"; echo "FAIL: ward watch died"; exit 1; }
  [ "$(date +%s)" -lt "$end" ] || { cat "$WORK/watch.err"
    echo "FAIL: ward watch counted $(stats_pkts "$WORK/watch.json" ip) of $PA IP packets in 300 s"; exit 1; }
  ip netns exec "$A" tcpreplay -q -i vwa "$WORK/probe.pcap" > /dev/null 2>&1
  sleep 0.2
done
# tcpdump may still hold frames in the kernel's buffer: stop it only once
# its file has every IP frame too (it writes each frame as it goes, -U).
end=$(( $(date +%s) + 300 ))
while [ "$(ip_frames "$WORK/received.pcap")" -lt "$PA" ]; do
  kill -0 "$DPID" 2>/dev/null || { cat "$WORK/tcpdump.err"; echo "FAIL: tcpdump died"; exit 1; }
  [ "$(date +%s)" -lt "$end" ] || {
    echo "FAIL: tcpdump recorded $(ip_frames "$WORK/received.pcap") of $PA IP frames in 300 s"; exit 1; }
  sleep 0.2
done
kill -INT "$DPID"
kill -INT "$WPID"
# SIGINT must stop ward promptly (after flushing); give it 10 s.
n=0
while kill -0 "$WPID" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if kill -0 "$WPID" 2>/dev/null; then
  kill -9 "$WPID"; echo "FAIL: ward watch did not stop on SIGINT"; exit 1
fi
wait "$WPID"; rc=$?
WPID=
n=0
while kill -0 "$DPID" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
DPID=
"$WARD" analyze --no-progress -q --json "$WORK/received.pcap" > "$WORK/received.json" || exit 1
[ $rc -eq 0 ] || { cat "$WORK/watch.err"; echo "FAIL: ward watch exited $rc"; exit 1; }

python3 - "$WORK/received.json" "$WORK/watch.json" "$WORK/analyze.json" <<'PY'
import json, sys
def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]
def attacks(evs):
    return {(e["ward"]["detector"], e.get("src_ip"), e.get("dest_ip"))
            for e in evs if e.get("event_type") == "alert" and e["ward"]["state"] == "start"}
a, w, orig = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
fa, fw, fo = attacks(a), attacks(w), attacks(orig)
print("file:   ", sorted(map(str, fo)))
print("analyze:", sorted(map(str, fa)))
print("watch:  ", sorted(map(str, fw)))
stats = [e for e in w if e.get("event_type") == "stats"]
ok = True
if len(fo) < 3:
    print("FAIL: analyze of the file found", len(fo), "attacks, the generator injected 3"); ok = False
if not fa:
    print("FAIL: analyze of the received traffic found nothing to compare"); ok = False
if fa - fw:
    print("FAIL: watch missed", sorted(map(str, fa - fw))); ok = False
if fw - fa:
    print("FAIL: watch reported more", sorted(map(str, fw - fa))); ok = False
if not stats or "kernel_drops" not in stats[-1].get("stats", {}).get("capture", {}):
    print("FAIL: no stats event with capture.kernel_drops"); ok = False
def ip(e):
    return e["stats"]["decoder"]["ipv4"] + e["stats"]["decoder"]["ipv6"]
pk = ip(stats[-1]) if stats else 0
pa = ip([e for e in a if e.get("event_type") == "stats"][-1])
po = ip([e for e in orig if e.get("event_type") == "stats"][-1])
print(f"IP packets: file {po}, received {pa}, watch {pk}")
if pk < po or pa < po:
    print("FAIL: watch or tcpdump saw fewer packets than the file holds"); ok = False
sys.exit(0 if ok else 1)
PY
