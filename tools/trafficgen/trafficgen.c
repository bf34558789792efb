/* trafficgen.c -- ward's generator of test traffic: command line, profiles,
 * attack options and the ground-truth file.
 * Writes a pcap of a simulated hospital network (benign sessions of many
 * kinds, see benign.c) with attacks injected at known times (atk_*.c),
 * deterministic from --seed: the same options give a byte-identical file.
 * Beside it, a TSV of what was injected: one row per expected detector
 * with the first and last packet time of that attack as written.
 * Memory: one tg_gen_t owns everything and is torn down before exit. */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tg.h"

#define DEFAULT_START 1767603600ULL /* 2026-01-05 09:00:00 UTC, a Monday */

static const char usage[] =
    "usage: trafficgen [options] -o OUT.pcap\n"
    "\n"
    "Writes a deterministic pcap of hospital-like traffic with attacks\n"
    "injected at known times, and a ground-truth TSV beside it.\n"
    "\n"
    "  -o, --output FILE       pcap to write (required)\n"
    "  --truth FILE            ground truth (default: OUT with .pcap\n"
    "                          replaced by .truth.tsv)\n"
    "  --seed N                random seed (default 1); same seed and\n"
    "                          options give a byte-identical capture\n"
    "  --start EPOCH_SECONDS   time of the first packet (default 1767603600,\n"
    "                          2026-01-05 09:00:00 UTC)\n"
    "  --duration SECONDS      length of the capture (default 60; long-benign\n"
    "                          10800; bench, bench-hard and none: until\n"
    "                          --packets / the attacks end)\n"
    "  --hosts N               workstations of the facility (default 200,\n"
    "                          bench 2000, bench-hard 3000, at most 30000)\n"
    "  --rate PKTS_PER_S       benign packets per second (default: benign\n"
    "                          2000, demo 1000, bench and bench-hard 50000,\n"
    "                          long-benign 40, none 0)\n"
    "  --packets N             stop after N packets (bench default 5000000)\n"
    "  --snaplen N             capture at most N bytes of each frame (64 to\n"
    "                          262144), wire lengths kept, like tcpdump -s\n"
    "  --linktype TYPE         ether (default), sll, sll2, raw, null\n"
    "  --vlan ID[,ID]          802.1Q tag, or QinQ outer,inner (ether only)\n"
    "  --nanosecond            nanosecond-resolution pcap\n"
    "  --profile NAME          benign (default): benign traffic only;\n"
    "                          demo: 60 s of benign traffic plus one of\n"
    "                          every attack; bench: the benign mix, fast,\n"
    "                          >= 5 million packets; bench-hard: a harder\n"
    "                          mix (many flows and outside addresses) with\n"
    "                          every attack kind; long-benign: hours at a\n"
    "                          low rate with every look-alike; none:\n"
    "                          attacks only\n"
    "  --attack KIND[:k=v,...] inject an attack (repeatable), see below\n"
    "  --benign KIND[:k=v,...] inject benign traffic that looks like an\n"
    "                          attack (repeatable; truth rows of detector\n"
    "                          none), see below\n"
    "  -q, --quiet             no summary on standard error\n"
    "  -h, --help              this text\n"
    "\n"
    "Attack kinds and options (at= is seconds after --start; default:\n"
    "spread evenly over the capture; src=/dst= take IPv4 or IPv6 addresses;\n"
    "ipv6=1 uses IPv6 defaults; sizes take K, M, G suffixes):\n"
    "  ms17-010        src dst(A|B|...) at variant=eternalblue|eternalromance\n"
    "                  |eternalsynergy|eternalchampion attempts=1 vuln=1\n"
    "                  implant=0 succeed=LAST victims=N victim_gap=20\n"
    "                  pipe=browser c2=none|tls|raw c2_addr c2_port\n"
    "                  beacons=10 beacon_interval=30 grooming=12\n"
    "                  secondaries=16 interval=18 ping_delay=2\n"
    "  doublepulsar    src dst at implant=1\n"
    "  smb-worm        src at count=200 rate=20 open=0.1 rst=0.3 vuln=0.5\n"
    "                  chain=0 spread=2 grooming=4 ipv6\n"
    "  syn-flood       dst at port=443 rate=20000 duration=5 spoof=1 (0\n"
    "                  when src is given) answer=1 sources=3 src ipv6\n"
    "  amplification   dst at proto=dns rate=10000 duration=5\n"
    "                  reflectors=2000 port=N size=N fragments-only=0\n"
    "                  first=0 ipv6; proto: dns ntp snmp ssdp cldap\n"
    "                  memcached chargen qotd wsd isakmp isakmp-natt\n"
    "                  netbios ubiquiti dvr dahua bacnet ard openvpn rdp\n"
    "                  dtls coap mdns slp tftp generic synack\n"
    "  volumetric      dst at proto=udp|icmp|tcp-ack|gre rate=100000\n"
    "                  size=1000 duration=3 sources=4 port=80 src ipv6\n"
    "  scan-horizontal src dst(first address) at port=3389 count=256\n"
    "                  rate=100 type=syn|connect|fin|null|xmas|udp open=0.05\n"
    "                  filtered=0.2 ipv6\n"
    "  scan-vertical   src dst at count=100 rate=200 type=... filtered=0.2\n"
    "  service-scan    src dst at port=445 count=22 rate=4 ipv6\n"
    "  brute-force     src dst at proto=smb1|smb2|kerberos|ssh|rdp\n"
    "                  attempts=50 rate success=0 user=administrator\n"
    "                  transport=udp|tcp (kerberos) tries=3 (ssh) ipv6\n"
    "  exfiltration    src dst at size=300M duration=480 port=443\n"
    "  c2-callback     victim c2 at mode=tls|raw port beacons=10 interval=30\n"
    "  intel           src at type=all|dns|http|tls|ip domain url sni ip\n"
    "                  near=1\n"
    "\n"
    "Benign look-alikes (--benign):\n"
    "  dicom           src dst at port=104 rate=700 (Mbit/s) duration=20\n"
    "  backup-job      src dst at size=2G rate=900 port\n"
    "  vm-snapshot     src dst at size=4G rate=2000\n"
    "  wanted-upload   src dst(81.2.69.195) at size=1G duration=300\n"
    "  busy-resolver   resolver at rate=3000 duration=10 miss=0.3\n"
    "  lan-discovery   at proto=all|mdns|ssdp|ntp rate=300 duration=10\n"
    "  smb-logons      server at count=200 rate=20 typos=0.05\n"
    "  kerberos-logons server at count=200 rate=20 typos=0.03\n"
    "  vuln-scanner    src(10.20.0.30) at hosts=40 ports=60 rate=400\n"
    "  admin-sessions  at count=4 window=3600 length=1200 ssh=0.5\n"
    "  voip            at calls=10 length=120 window=10 external=0.4\n"
    "  quic            at sessions=40 window=10\n"
    "\n"
    "Truth file: '#' comment lines (the first gives seed and packet count),\n"
    "then start_ns end_ns kind detector attacker target detail, tab-\n"
    "separated; attacker/target '*' when spoofed or many; detector none\n"
    "for look-alikes. See docs/trafficgen.md.\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("trafficgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

/* ---- options of one attack ---------------------------------------------- */
static const char *find(tg_attack_opt_t *o, const char *key) {
  for (int i = 0; i < o->nopt; i++)
    if (strcmp(o->key[i], key) == 0) {
      o->used[i] = true;
      return o->val[i];
    }
  return NULL;
}

int tg_opt_u64(tg_attack_opt_t *o, const char *key, uint64_t def, uint64_t min,
               uint64_t max, uint64_t *out) {
  const char *v = find(o, key);
  if (!v) {
    *out = def;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 0);
  if (errno || end == v || *end || v[0] == '-' || x < min || x > max) {
    fprintf(stderr,
            "trafficgen: %s: %s=%s: expected an integer in [%llu, "
            "%llu]\n",
            o->kind, key, v, (unsigned long long)min, (unsigned long long)max);
    return -1;
  }
  *out = x;
  return 0;
}

int tg_opt_double(tg_attack_opt_t *o, const char *key, double def, double min,
                  double max, double *out) {
  const char *v = find(o, key);
  if (!v) {
    *out = def;
    return 0;
  }
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || end == v || *end || !(x >= min && x <= max)) {
    fprintf(stderr, "trafficgen: %s: %s=%s: expected a number in [%g, %g]\n",
            o->kind, key, v, min, max);
    return -1;
  }
  *out = x;
  return 0;
}

int tg_opt_at(tg_gen_t *g, tg_attack_opt_t *o, uint64_t def_ns, uint64_t *out) {
  double at;
  if (tg_opt_double(o, "at", -1, 0, 1e7, &at))
    return -1;
  *out = at < 0 ? def_ns : g->start_ns + (uint64_t)(at * 1e9 + 0.5);
  return 0;
}

int tg_opt_addr(tg_attack_opt_t *o, const char *key, wd_addr_t *out,
                bool *set) {
  const char *v = find(o, key);
  *set = false;
  if (!v)
    return 0;
  if (wd_addr_parse(v, out) != WD_OK) {
    fprintf(stderr, "trafficgen: %s: %s=%s: not an IP address\n", o->kind, key,
            v);
    return -1;
  }
  *set = true;
  return 0;
}

const char *tg_opt_str(tg_attack_opt_t *o, const char *key, const char *def) {
  const char *v = find(o, key);
  return v ? v : def;
}

int tg_opt_bytes(tg_attack_opt_t *o, const char *key, const char *def,
                 uint64_t *out) {
  const char *v = find(o, key);
  const char *t = v ? v : def;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(t, &end, 10);
  int shift = 0;
  switch (*end) {
  case 'k':
  case 'K':
    shift = 10;
    break;
  case 'm':
  case 'M':
    shift = 20;
    break;
  case 'g':
  case 'G':
    shift = 30;
    break;
  case 't':
  case 'T':
    shift = 40;
    break;
  default:
    break;
  }
  if (shift)
    end++;
  if (errno || end == t || *end || t[0] == '-' ||
      (shift && x > (~0ULL >> shift))) {
    fprintf(stderr,
            "trafficgen: %s: %s=%s: expected a byte count (digits, then "
            "optionally K, M, G or T)\n",
            o->kind, key, t);
    return -1;
  }
  *out = (uint64_t)x << shift;
  return 0;
}

void tg_default_attacker(int which, bool v6, wd_addr_t *out) {
  /* From MaxMind's public GeoIP2/GeoLite2 test databases, so attribution
   * later has something to find. */
  static const char *const v4[] = {"89.160.20.112", "216.160.83.58",
                                   "89.160.20.130", "81.2.69.160",
                                   "67.43.156.1"};
  static const char *const v6s[] = {"2a02:d180::1", "2001:218::1"};
  const char *s = v6 ? v6s[(unsigned)which % 2] : v4[(unsigned)which % 5];
  if (wd_addr_parse(s, out) != WD_OK)
    memset(out, 0, sizeof *out);
}

/* ---- truth ----------------------------------------------------------------
 */
int tg_truth_add(tg_gen_t *g, const char *kind, const char *detector,
                 const wd_addr_t *attacker, const wd_addr_t *target,
                 const char *detail_fmt, ...) {
  if (g->ntruth >= TG_TRUTH_MAX) {
    fprintf(stderr, "trafficgen: more than %d truth rows; attack skipped\n",
            TG_TRUTH_MAX);
    return -1;
  }
  if (g->ntruth % 64 == 0) {
    tg_truth_t *t = realloc(g->truth, (size_t)(g->ntruth + 64) * sizeof *t);
    if (!t)
      return -1;
    g->truth = t;
  }
  tg_truth_t *t = &g->truth[g->ntruth];
  memset(t, 0, sizeof *t);
  snprintf(t->kind, sizeof t->kind, "%s", kind);
  snprintf(t->detector, sizeof t->detector, "%s", detector);
  if (attacker)
    wd_addr_str(attacker, t->attacker);
  else
    snprintf(t->attacker, sizeof t->attacker, "*");
  if (target)
    wd_addr_str(target, t->target);
  else
    snprintf(t->target, sizeof t->target, "*");
  va_list ap;
  va_start(ap, detail_fmt);
  vsnprintf(t->detail, sizeof t->detail, detail_fmt, ap);
  va_end(ap);
  return g->ntruth++;
}

void tg_truth_append(tg_gen_t *g, int row, const char *fmt, ...) {
  if (row < 0 || row >= g->ntruth)
    return;
  tg_truth_t *t = &g->truth[row];
  size_t l = strlen(t->detail);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->detail + l, sizeof t->detail - l, fmt, ap);
  va_end(ap);
}

static int cmp_truth(const void *x, const void *y) {
  const tg_truth_t *a = *(const tg_truth_t *const *)x;
  const tg_truth_t *b = *(const tg_truth_t *const *)y;
  if (a->first_ns != b->first_ns)
    return a->first_ns < b->first_ns ? -1 : 1;
  return a < b ? -1 : a > b;
}

static const char *linktype_name(int dlt) {
  switch (dlt) {
  case DLT_EN10MB:
    return "ether";
  case DLT_LINUX_SLL:
    return "sll";
  case DLT_LINUX_SLL2:
    return "sll2";
  case DLT_NULL:
    return "null";
  default:
    return "raw";
  }
}

static int write_truth(tg_gen_t *g, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "trafficgen: %s: %s\n", path, strerror(errno));
    return -1;
  }
  fprintf(f,
          "# trafficgen seed=%llu packets=%llu bytes=%llu first_ns=%llu "
          "last_ns=%llu\n",
          (unsigned long long)g->seed, (unsigned long long)g->written,
          (unsigned long long)g->bytes, (unsigned long long)g->first_ts,
          (unsigned long long)g->last_ts);
  fprintf(f,
          "# profile=%s start=%llu linktype=%s nanosecond=%d hosts=%u "
          "rate=%g snaplen=%u\n",
          g->profile, (unsigned long long)(g->start_ns / TG_NS),
          linktype_name(g->dlt), g->nano ? 1 : 0, (unsigned)g->nhosts, g->rate,
          (unsigned)g->snaplen);
  fprintf(f, "# start_ns\tend_ns\tkind\tdetector\tattacker\ttarget\tdetail\n");
  const tg_truth_t **rows = calloc((size_t)g->ntruth + 1, sizeof *rows);
  if (!rows) {
    fclose(f);
    return -1;
  }
  int n = 0;
  for (int i = 0; i < g->ntruth; i++) {
    if (g->truth[i].packets == 0)
      fprintf(f, "# not in the capture (after its end): %s %s %s -> %s\n",
              g->truth[i].kind, g->truth[i].detector, g->truth[i].attacker,
              g->truth[i].target);
    else
      rows[n++] = &g->truth[i];
  }
  qsort(rows, (size_t)n, sizeof *rows, cmp_truth);
  for (int i = 0; i < n; i++) {
    const tg_truth_t *t = rows[i];
    fprintf(f, "%llu\t%llu\t%s\t%s\t%s\t%s\t%s;packets=%llu\n",
            (unsigned long long)t->first_ns, (unsigned long long)t->last_ns,
            t->kind, t->detector, t->attacker, t->target, t->detail,
            (unsigned long long)t->packets);
  }
  free(rows);
  if (fclose(f) != 0) {
    fprintf(stderr, "trafficgen: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- attacks ---------------------------------------------------------- */
static void parse_attack(const char *spec, tg_attack_opt_t *o) {
  memset(o, 0, sizeof *o);
  const char *colon = strchr(spec, ':');
  size_t kl = colon ? (size_t)(colon - spec) : strlen(spec);
  if (kl == 0 || kl >= sizeof o->kind)
    die("bad --attack '%s'", spec);
  memcpy(o->kind, spec, kl);
  if (!colon)
    return;
  const char *p = colon + 1;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    const char *eq = memchr(p, '=', l);
    if (!eq || eq == p)
      die("--attack %s: '%.*s' is not key=value", o->kind, (int)l, p);
    if (o->nopt >= TG_ATTACK_OPTS)
      die("--attack %s: too many options", o->kind);
    size_t kn = (size_t)(eq - p), vn = l - kn - 1;
    if (kn >= sizeof o->key[0] || vn >= sizeof o->val[0])
      die("--attack %s: option '%.*s' too long", o->kind, (int)l, p);
    memcpy(o->key[o->nopt], p, kn);
    memcpy(o->val[o->nopt], eq + 1, vn);
    o->nopt++;
    p += l;
    if (*p == ',')
      p++;
  }
}

static int run_attack(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at) {
  int rc;
  const char *k = o->kind;
  if (strcmp(k, "ms17-010") == 0)
    rc = tg_atk_ms17010(g, o, at);
  else if (strcmp(k, "doublepulsar") == 0)
    rc = tg_atk_doublepulsar(g, o, at);
  else if (strcmp(k, "smb-worm") == 0)
    rc = tg_atk_worm(g, o, at);
  else if (strcmp(k, "syn-flood") == 0)
    rc = tg_atk_synflood(g, o, at);
  else if (strcmp(k, "amplification") == 0)
    rc = tg_atk_amplification(g, o, at);
  else if (strcmp(k, "volumetric") == 0)
    rc = tg_atk_volumetric(g, o, at);
  else if (strcmp(k, "scan-horizontal") == 0)
    rc = tg_atk_scan(g, o, at, false);
  else if (strcmp(k, "scan-vertical") == 0)
    rc = tg_atk_scan(g, o, at, true);
  else if (strcmp(k, "service-scan") == 0)
    rc = tg_atk_service_scan(g, o, at);
  else if (strcmp(k, "brute-force") == 0)
    rc = tg_atk_brute(g, o, at);
  else if (strcmp(k, "exfiltration") == 0)
    rc = tg_atk_exfil(g, o, at);
  else if (strcmp(k, "c2-callback") == 0)
    rc = tg_atk_c2(g, o, at);
  else if (strcmp(k, "intel") == 0)
    rc = tg_atk_intel(g, o, at);
  else {
    fprintf(stderr,
            "trafficgen: unknown attack '%s' (ms17-010, doublepulsar, "
            "smb-worm, syn-flood, amplification, volumetric, "
            "scan-horizontal, scan-vertical, service-scan, brute-force, "
            "exfiltration, c2-callback, intel)\n",
            k);
    return -1;
  }
  if (rc)
    return rc;
  for (int i = 0; i < o->nopt; i++)
    if (!o->used[i]) {
      fprintf(stderr, "trafficgen: %s: unknown option '%s'\n", k, o->key[i]);
      return -1;
    }
  return 0;
}

static int run_benign(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at) {
  if (tg_look_run(g, o, at))
    return -1;
  for (int i = 0; i < o->nopt; i++)
    if (!o->used[i]) {
      fprintf(stderr, "trafficgen: %s: unknown option '%s'\n", o->kind,
              o->key[i]);
      return -1;
    }
  return 0;
}

/* The hard benchmark: the attack mix sprinkled over its ~100 s. */
static const char *const bench_attacks[] = {
    "scan-horizontal:at=3,count=512,rate=300",
    "scan-vertical:at=6,count=5000,rate=4000",
    "scan-vertical:at=9,type=udp,count=200,rate=400,src=67.43.156.1",
    "ms17-010:at=12,implant=1,c2=tls",
    "ms17-010:at=16,variant=eternalromance,dst=10.20.0.10,vuln=0",
    "ms17-010:at=20,variant=eternalsynergy,implant=1",
    "ms17-010:at=24,variant=eternalchampion,dst=10.20.0.41",
    "ms17-010:at=28,implant=1,dst=10.20.0.40|10.20.0.41",
    "doublepulsar:at=30",
    "smb-worm:at=32,count=300,rate=60,chain=1,spread=2",
    "syn-flood:at=40,rate=20000,duration=1",
    "amplification:at=44,proto=dns,rate=8000,duration=1",
    "amplification:at=46,proto=isakmp-natt,rate=3000,duration=1",
    "amplification:at=48,proto=memcached,fragments-only=1,rate=3e3,duration=1",
    "volumetric:at=50,proto=udp,rate=40000,size=400,duration=1",
    "service-scan:at=53,port=445,count=40",
    "brute-force:at=56,proto=smb2,attempts=60,success=1",
    "brute-force:at=60,proto=kerberos,attempts=80",
    "brute-force:at=63,proto=ssh,attempts=30",
    "brute-force:at=66,proto=rdp,attempts=30,success=1",
    "exfiltration:at=5,size=300M,duration=80",
    "intel:at=70,type=all,near=1",
};

/* The long benign mix: look-alikes injected hour by hour (see docs);
 * windowed ones spread their sessions over most of the hour. */
static const struct {
  const char *kind, *opts;
  bool window;
} long_hourly[] =
    {
        {"dicom", "rate=600,duration=5", false},
        {"busy-resolver", "rate=1500,duration=5", false},
        {"lan-discovery", "rate=150,duration=10", false},
        {"smb-logons", "count=100,rate=5", false},
        {"kerberos-logons", "count=100,rate=5", false},
        {"admin-sessions", "count=3,length=900", true},
        {"voip", "calls=4,length=90", true},
        {"quic", "sessions=30", true},
},
  long_once[] = {
      {"backup-job", "size=256M,rate=900", false},
      {"vm-snapshot", "size=384M,rate=2000", false},
      {"wanted-upload", "size=400M,duration=300", false},
      {"vuln-scanner", "hosts=40,ports=60,rate=400", false},
};

/* The demo: one of each attack, spread over a minute. */
static const char *const demo_attacks[] = {
    "scan-horizontal:at=5,count=256,rate=100",
    "scan-vertical:at=10,count=200,rate=200",
    "ms17-010:at=15,implant=1",
    "doublepulsar:at=22",
    "smb-worm:at=26,count=120,rate=20,chain=1,spread=1",
    "syn-flood:at=36,rate=20000,duration=2",
    "amplification:at=42,proto=dns,rate=10000,duration=2",
    "volumetric:at=50,proto=udp,rate=250000,size=120,duration=1",
};

/* ---- filler ----------------------------------------------------------------
 */
static void make_fill(tg_gen_t *g) {
  tg_rng_t r;
  tg_rng_fork(&g->rng, &r);
  tg_rng_bytes(&r, g->fill_rand, TG_FILL_SIZE);
  static const char *const words[] = {
      "patient", "ward",   "clinic", "results",  "the",    "and",
      "of",      "<div>",  "</div>", "<p>",      "report", "schedule",
      "update",  "health", "class=", "\"main\"", "data",   "{\"id\":",
      "},",      "view",   "staff",  "care",     "news",   "\n"};
  size_t n = 0;
  while (n < TG_FILL_SIZE) {
    const char *w = words[tg_rng_below(&r, sizeof words / sizeof words[0])];
    for (; *w && n < TG_FILL_SIZE; w++)
      g->fill_text[n++] = (uint8_t)*w;
    if (n < TG_FILL_SIZE)
      g->fill_text[n++] = ' ';
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  static tg_gen_t gen; /* large: scratch buffers and filler blocks */
  tg_gen_t *g = &gen;
  const char *out = NULL, *truth = NULL, *profile = "benign";
  const char *linktype = "ether", *vlan = NULL;
  double duration = -1, rate = -1;
  long long hosts = -1, packets = -1;
  bool quiet = false;
  const char *attacks[TG_ATTACK_MAX], *benigns[TG_ATTACK_MAX];
  int nattacks = 0, nbenign = 0;
  g->seed = 1;
  g->start_ns = DEFAULT_START * TG_NS;

  enum {
    O_SEED = 256,
    O_START,
    O_DURATION,
    O_HOSTS,
    O_RATE,
    O_PACKETS,
    O_LINKTYPE,
    O_VLAN,
    O_NANO,
    O_PROFILE,
    O_ATTACK,
    O_TRUTH,
    O_SNAPLEN,
    O_BENIGN
  };
  static const struct option lopts[] = {
      {"seed", required_argument, NULL, O_SEED},
      {"start", required_argument, NULL, O_START},
      {"duration", required_argument, NULL, O_DURATION},
      {"hosts", required_argument, NULL, O_HOSTS},
      {"rate", required_argument, NULL, O_RATE},
      {"packets", required_argument, NULL, O_PACKETS},
      {"linktype", required_argument, NULL, O_LINKTYPE},
      {"vlan", required_argument, NULL, O_VLAN},
      {"nanosecond", no_argument, NULL, O_NANO},
      {"profile", required_argument, NULL, O_PROFILE},
      {"attack", required_argument, NULL, O_ATTACK},
      {"truth", required_argument, NULL, O_TRUTH},
      {"snaplen", required_argument, NULL, O_SNAPLEN},
      {"benign", required_argument, NULL, O_BENIGN},
      {"output", required_argument, NULL, 'o'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  char *end;
  while ((c = getopt_long(argc, argv, "o:qh", lopts, NULL)) != -1) {
    errno = 0;
    switch (c) {
    case O_SEED:
      g->seed = strtoull(optarg, &end, 0);
      if (errno || *end || end == optarg)
        die("--seed: '%s' is not a number", optarg);
      break;
    case O_START: {
      unsigned long long s = strtoull(optarg, &end, 10);
      if (errno || *end || end == optarg || s > 4000000000ULL)
        die("--start: '%s' is not epoch seconds", optarg);
      g->start_ns = s * TG_NS;
      break;
    }
    case O_DURATION:
      duration = strtod(optarg, &end);
      if (errno || *end || end == optarg || !(duration > 0 && duration < 1e6))
        die("--duration: '%s' is not a positive number of seconds", optarg);
      break;
    case O_HOSTS:
      hosts = strtoll(optarg, &end, 10);
      if (errno || *end || end == optarg || hosts < 0 || hosts > 30000)
        die("--hosts: '%s' is not in [0, 30000]", optarg);
      break;
    case O_RATE:
      rate = strtod(optarg, &end);
      if (errno || *end || end == optarg || !(rate >= 0 && rate <= 1e7))
        die("--rate: '%s' is not in [0, 10000000]", optarg);
      break;
    case O_PACKETS:
      packets = strtoll(optarg, &end, 10);
      if (errno || *end || end == optarg || packets < 0)
        die("--packets: '%s' is not a count", optarg);
      break;
    case O_LINKTYPE:
      linktype = optarg;
      break;
    case O_VLAN:
      vlan = optarg;
      break;
    case O_NANO:
      g->nano = true;
      break;
    case O_PROFILE:
      profile = optarg;
      break;
    case O_ATTACK:
      if (nattacks >= TG_ATTACK_MAX)
        die("at most %d --attack options", TG_ATTACK_MAX);
      attacks[nattacks++] = optarg;
      break;
    case O_TRUTH:
      truth = optarg;
      break;
    case O_SNAPLEN: {
      unsigned long v = strtoul(optarg, &end, 10);
      if (errno || *end || end == optarg || v < 64 || v > 262144)
        die("--snaplen: '%s' is not in [64, 262144]", optarg);
      g->snaplen = (uint32_t)v;
      break;
    }
    case O_BENIGN:
      if (nbenign >= TG_ATTACK_MAX)
        die("at most %d --benign options", TG_ATTACK_MAX);
      benigns[nbenign++] = optarg;
      break;
    case 'o':
      out = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      fputs(usage, stdout);
      return 0;
    default:
      fputs(usage, stderr);
      return 2;
    }
  }
  if (optind < argc)
    die("unexpected argument '%s' (see --help)", argv[optind]);
  if (!out)
    die("-o OUT.pcap is required (see --help)");

  bool benign = true, demo = false, bench = false, hard = false, longb = false;
  if (strcmp(profile, "benign") == 0) {
  } else if (strcmp(profile, "demo") == 0) {
    demo = true;
  } else if (strcmp(profile, "bench") == 0) {
    bench = true;
  } else if (strcmp(profile, "bench-hard") == 0) {
    bench = hard = true;
  } else if (strcmp(profile, "long-benign") == 0) {
    longb = true;
  } else if (strcmp(profile, "none") == 0) {
    benign = false;
  } else {
    die("--profile: '%s' is not benign, demo, bench, bench-hard, "
        "long-benign or none",
        profile);
  }
  g->profile = profile;
  g->nhosts = (uint32_t)(hosts >= 0 ? hosts : hard ? 3000 : bench ? 2000 : 200);
  g->rate = rate >= 0 ? rate
            : !benign ? 0
            : demo    ? 1000
            : bench   ? 50000
            : longb   ? 40
                      : 2000;
  g->max_packets = packets >= 0 ? (uint64_t)packets : bench ? 5000000ULL : 0;
  if (duration < 0 && (bench || !benign))
    g->end_ns = UINT64_MAX; /* until --packets or the attacks end */
  else
    g->end_ns =
        g->start_ns +
        (uint64_t)((duration < 0 ? longb ? 10800 : 60 : duration) * 1e9);
  if (hard) { /* many distinct outside addresses, a flatter popularity */
    g->net.n_web = 60000;
    g->net.n_dns = 4000;
    g->net.web_pow = 1.4;
    g->mix = TG_MIX_HARD;
  }
  if (benign && g->rate > 0 && g->end_ns == UINT64_MAX && !g->max_packets)
    die("benign traffic without --duration needs --packets");

  if (strcmp(linktype, "ether") == 0)
    g->dlt = DLT_EN10MB;
  else if (strcmp(linktype, "sll") == 0)
    g->dlt = DLT_LINUX_SLL;
  else if (strcmp(linktype, "sll2") == 0)
    g->dlt = DLT_LINUX_SLL2;
  else if (strcmp(linktype, "raw") == 0)
    g->dlt = DLT_RAW;
  else if (strcmp(linktype, "null") == 0)
    g->dlt = DLT_NULL;
  else
    die("--linktype: '%s' is not ether, sll, sll2, raw or null", linktype);
  if (vlan) {
    if (g->dlt != DLT_EN10MB)
      die("--vlan needs --linktype ether");
    char *p = (char *)vlan;
    for (g->nvlan = 0; g->nvlan < 2;) {
      long v = strtol(p, &end, 10);
      if (end == p || v < 1 || v > 4094)
        die("--vlan: '%s': IDs are 1..4094, at most two", vlan);
      g->vlan[g->nvlan++] = (uint16_t)v;
      if (*end == 0)
        break;
      if (*end != ',')
        die("--vlan: '%s': IDs are 1..4094, at most two", vlan);
      p = end + 1;
    }
    if (*end != 0)
      die("--vlan: '%s': at most two IDs", vlan);
  }

  char truth_buf[4096];
  if (!truth) {
    size_t l = strlen(out);
    if (l > 5 && strcmp(out + l - 5, ".pcap") == 0)
      l -= 5;
    if (l + 11 >= sizeof truth_buf)
      die("output name too long");
    snprintf(truth_buf, sizeof truth_buf, "%.*s.truth.tsv", (int)l, out);
    truth = truth_buf;
  }

  /* every --attack and --benign is parsed before anything is allocated;
   * the profile's own come first */
  static tg_attack_opt_t specs[TG_ATTACK_MAX + 32];
  static tg_attack_opt_t bspecs[TG_ATTACK_MAX + 512];
  static char built[512][96];
  int ndemo = demo   ? (int)(sizeof demo_attacks / sizeof demo_attacks[0])
              : hard ? (int)(sizeof bench_attacks / sizeof bench_attacks[0])
                     : 0;
  const char *const *prof = demo ? demo_attacks : bench_attacks;
  int total = ndemo + nattacks;
  for (int i = 0; i < total; i++)
    parse_attack(i < ndemo ? prof[i] : attacks[i - ndemo], &specs[i]);
  int nlong = 0;
  if (longb) { /* hour slots: the hourly look-alikes in each, the rest once */
    uint64_t span_s = (g->end_ns - g->start_ns) / TG_NS;
    uint64_t hours = (span_s + 3599) / 3600;
    size_t nh = sizeof long_hourly / sizeof long_hourly[0];
    size_t no = sizeof long_once / sizeof long_once[0];
    for (uint64_t h = 0; h < hours && nlong + (int)(nh + no) < 500; h++) {
      uint64_t slot = span_s - h * 3600 < 3600 ? span_s - h * 3600 : 3600;
      for (size_t i = 0; i < nh; i++) {
        unsigned at = (unsigned)(h * 3600 + slot * (2 * i + 1) / (2 * nh + 2));
        unsigned win = (unsigned)(slot * 6 / 10 + 1);
        if (long_hourly[i].window)
          snprintf(built[nlong++], sizeof built[0], "%s:at=%u,window=%u,%s",
                   long_hourly[i].kind, at, win, long_hourly[i].opts);
        else
          snprintf(built[nlong++], sizeof built[0], "%s:at=%u,%s",
                   long_hourly[i].kind, at, long_hourly[i].opts);
      }
      if (h == 0)
        for (size_t i = 0; i < no; i++) {
          unsigned at =
              (unsigned)(slot * (2 * i + 2) / (2 * no + 3) + slot / 20);
          snprintf(built[nlong++], sizeof built[0], "%s:at=%u,%s",
                   long_once[i].kind, at, long_once[i].opts);
        }
    }
  }
  int btotal = nlong + nbenign;
  for (int i = 0; i < btotal; i++)
    parse_attack(i < nlong ? built[i] : benigns[i - nlong], &bspecs[i]);

  tg_rng_seed(&g->rng, g->seed);
  make_fill(g);
  if (tg_netmodel_init(g))
    die("out of memory");

  pcap_t *pd = pcap_open_dead_with_tstamp_precision(
      g->dlt, g->snaplen ? (int)g->snaplen : 262144,
      g->nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (!pd)
    die("pcap_open_dead failed");
  FILE *fp = fopen(out, "wb");
  if (!fp)
    die("%s: %s", out, strerror(errno));
  static char iobuf[1 << 20]; /* big writes: the pcap is written once */
  setvbuf(fp, iobuf, _IOFBF, sizeof iobuf);
  pcap_dumper_t *d = pcap_dump_fopen(pd, fp);
  if (!d)
    die("%s: %s", out, pcap_geterr(pd));
  g->pcap = pd;
  g->dumper = d;

  if (benign && tg_benign_setup(g))
    die("out of memory");

  /* attacks: the demo's, then the command line's */
  uint64_t span = g->end_ns == UINT64_MAX ? 0 : g->end_ns - g->start_ns;
  int rc = 0;
  for (int i = 0; i < total && rc == 0; i++) {
    int k = i - ndemo; /* default times spread the command line's attacks */
    uint64_t at =
        span ? g->start_ns + span * (uint64_t)(k + 1) / (uint64_t)(nattacks + 1)
             : g->start_ns + TG_NS + (uint64_t)k * 15 * TG_NS;
    if (i < ndemo)
      at = g->start_ns;
    rc = run_attack(g, &specs[i], at);
  }
  for (int i = 0; i < btotal && rc == 0; i++) {
    int k = i - nlong; /* default times spread the command line's ones */
    uint64_t at =
        span ? g->start_ns + span * (uint64_t)(k + 1) / (uint64_t)(nbenign + 1)
             : g->start_ns + TG_NS + (uint64_t)k * 15 * TG_NS;
    if (i < nlong)
      at = g->start_ns;
    rc = run_benign(g, &bspecs[i], at);
  }
  if (rc) {
    pcap_dump_close(d);
    pcap_close(pd);
    remove(out);
    tg_sched_free(g);
    tg_netmodel_free(g);
    free(g->truth);
    return 2;
  }

  double t0 = now_s();
  if (tg_sched_run(g)) {
    fprintf(stderr, "trafficgen: %s: write error\n", out);
    rc = 1;
  }
  double dt = now_s() - t0;
  pcap_dump_close(d);
  pcap_close(pd);
  if (rc == 0 && write_truth(g, truth))
    rc = 1;
  if (!quiet && rc == 0) {
    int shown = 0;
    for (int i = 0; i < g->ntruth; i++)
      shown += g->truth[i].packets > 0;
    fprintf(stderr,
            "trafficgen: %llu packets, %.1f MB, %.1f s of traffic -> %s "
            "(%.2f s, %.0f packets/s); %d truth rows -> %s\n",
            (unsigned long long)g->written, (double)g->bytes / 1e6,
            g->written ? (double)(g->last_ts - g->first_ts) / 1e9 : 0.0, out,
            dt, dt > 0 ? (double)g->written / dt : 0.0, shown, truth);
    if (getenv("TRAFFICGEN_DEBUG"))
      tg_benign_report(g);
    if (g->sessions_skipped)
      fprintf(stderr, "trafficgen: %llu sessions skipped (too many live)\n",
              (unsigned long long)g->sessions_skipped);
  }
  tg_sched_free(g);
  tg_netmodel_free(g);
  tg_quic_free();
  free(g->truth);
  return rc;
}
