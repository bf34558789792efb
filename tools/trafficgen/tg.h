/* tg.h -- internal interfaces shared by the files of trafficgen.
 * trafficgen writes deterministic pcaps of a hospital-like network with
 * attacks and benign look-alikes injected at known times, plus a
 * ground-truth TSV. The pieces:
 *   rng.c       seeded PRNG (xoshiro256**) and distributions
 *   sched.c     actors (sessions, floods, spawners) on a time heap; packets
 *               wait on a second heap until no actor can emit an earlier
 *               one, then go to the pcap in (time, creation) order
 *   pkt.c       frames: link header, IPv4/IPv6 (+fragments), TCP/UDP/ICMP/GRE
 *               with real checksums
 *   tcp.c       TCP sessions: handshake, segmented messages, ACKs, teardown
 *   netmodel.c  the hospital: clients, servers, LAN devices, outside hosts
 *   smb.c       NetBIOS, SMB1 and SMB2 message builders
 *   auth.c      DER, SPNEGO/NTLMSSP, Kerberos and LDAP messages
 *   apps.c      HTTP, TLS, SSH, DNS, NTP message builders
 *   smb_session.c, krb_session.c, ssh_session.c, rdp.c, bulk.c, quic.c,
 *   voip.c, discovery.c   sessions of one protocol each
 *   benign.c    benign traffic classes and their spawners
 *   lookalike.c the --benign injections (look-alikes of attacks)
 *   atk_smb.c, atk_flood.c, atk_scan.c, atk_auth.c, atk_misc.c   attacks
 *   trafficgen.c  command line, profiles, truth file
 * Memory: the generator (tg_gen_t) owns everything; actors and queued
 * packets are heap-allocated and freed once stepped out / written. */
#ifndef TG_TG_H
#define TG_TG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/net.h"

#define TG_US 1000ULL
#define TG_MS 1000000ULL
#define TG_NS 1000000000ULL

#define TG_FRAME_MAX 1600      /* link header + 1500-byte IP packet + tags */
#define TG_MTU 1500            /* IP packet size on the wire */
#define TG_L4_MAX 65600        /* largest transport datagram built (frags) */
#define TG_MSG_HDR 768         /* literal bytes at the start of a TCP message */
#define TG_FILL_SIZE 65536     /* filler blocks (power of two) */
#define TG_TRUTH_MAX 4096      /* ground-truth rows */
#define TG_DETAIL_MAX 320      /* detail text of a truth row */
#define TG_ATTACK_MAX 64       /* --attack options */
#define TG_ATTACK_OPTS 16      /* key=value pairs per --attack */
#define TG_SESSIONS_MAX 200000 /* live benign sessions; more are skipped */

/* ---- rng.c ------------------------------------------------------------ */
typedef struct tg_rng {
  uint64_t s[4];
} tg_rng_t;

void tg_rng_seed(tg_rng_t *r, uint64_t seed);
/* Seeds child from the next outputs of parent (stable sub-streams). */
void tg_rng_fork(tg_rng_t *parent, tg_rng_t *child);
uint64_t tg_rng_next(tg_rng_t *r);
uint32_t tg_rng_below(tg_rng_t *r, uint32_t n); /* [0, n), n > 0 */
uint64_t tg_rng_range(tg_rng_t *r, uint64_t lo, uint64_t hi); /* [lo,hi] */
double tg_rng_unit(tg_rng_t *r);                              /* [0, 1) */
bool tg_rng_chance(tg_rng_t *r, double p);
double tg_rng_exp(tg_rng_t *r, double mean);
double tg_rng_lognormal(tg_rng_t *r, double median, double sigma);
void tg_rng_bytes(tg_rng_t *r, uint8_t *out, size_t n);

/* ---- small byte writer (used by every message builder) ---------------- */
typedef struct tg_buf {
  uint8_t *p;
  size_t len;
  size_t cap; /* writes past cap are dropped and set over */
  bool over;
} tg_buf_t;

static inline void tg_buf_init(tg_buf_t *b, uint8_t *p, size_t cap) {
  b->p = p;
  b->len = 0;
  b->cap = cap;
  b->over = false;
}
static inline void tg_put(tg_buf_t *b, const void *d, size_t n) {
  if (n == 0)
    return;
  if (b->len + n > b->cap) {
    b->over = true;
    return;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}
static inline void tg_put8(tg_buf_t *b, uint8_t v) { tg_put(b, &v, 1); }
static inline void tg_put16be(tg_buf_t *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  tg_put(b, x, 2);
}
static inline void tg_put32be(tg_buf_t *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                  (uint8_t)v};
  tg_put(b, x, 4);
}
static inline void tg_put16le(tg_buf_t *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  tg_put(b, x, 2);
}
static inline void tg_put32le(tg_buf_t *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  tg_put(b, x, 4);
}
static inline void tg_put64le(tg_buf_t *b, uint64_t v) {
  tg_put32le(b, (uint32_t)v);
  tg_put32le(b, (uint32_t)(v >> 32));
}
static inline void tg_putz(tg_buf_t *b, size_t n) {
  static const uint8_t z[64];
  while (n > 0) {
    size_t k = n < sizeof z ? n : sizeof z;
    tg_put(b, z, k);
    n -= k;
  }
}
static inline void tg_putstr(tg_buf_t *b, const char *s) {
  tg_put(b, s, strlen(s));
}
/* ASCII string as UTF-16LE, with (nul=true) or without terminator. */
static inline void tg_pututf16(tg_buf_t *b, const char *s, bool nul) {
  for (; *s; s++)
    tg_put16le(b, (uint8_t)*s);
  if (nul)
    tg_put16le(b, 0);
}
/* Patch helpers for lengths known only at the end. */
static inline void tg_set16le(tg_buf_t *b, size_t at, uint16_t v) {
  if (at + 2 <= b->len) {
    b->p[at] = (uint8_t)v;
    b->p[at + 1] = (uint8_t)(v >> 8);
  }
}
static inline void tg_set32be(tg_buf_t *b, size_t at, uint32_t v) {
  if (at + 4 <= b->len)
    for (int i = 0; i < 4; i++)
      b->p[at + i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void tg_set32le(tg_buf_t *b, size_t at, uint32_t v) {
  if (at + 4 <= b->len)
    for (int i = 0; i < 4; i++)
      b->p[at + i] = (uint8_t)(v >> (8 * i));
}

/* ---- ground truth ------------------------------------------------------ */
typedef struct tg_tag {
  int16_t row[2]; /* truth rows this packet belongs to, -1 = none */
} tg_tag_t;

#define TG_NOTAG ((tg_tag_t){{-1, -1}})

typedef struct tg_truth {
  char kind[24];
  char detector[24];
  char attacker[WD_ADDR_STRLEN]; /* "*" when spoofed / many */
  char target[WD_ADDR_STRLEN];   /* "*" for horizontal scans, worms */
  char detail[TG_DETAIL_MAX];
  uint64_t first_ns, last_ns; /* of packets written (0 = none yet) */
  uint64_t packets;
} tg_truth_t;

/* ---- network model (netmodel.c) ---------------------------------------- */
typedef struct tg_host {
  wd_addr_t a4, a6;
  bool has4, has6;
  bool internal;
  bool windows;
  uint8_t mac[6];    /* own MAC when internal, the router's otherwise */
  uint8_t ttl;       /* TTL as seen at the tap */
  uint32_t delay_ns; /* one-way delay between the tap and this host */
  uint32_t mbps;     /* bottleneck bandwidth towards this host */
  uint32_t index;    /* position in the client list (clients only) */
} tg_host_t;

enum {
  TG_SRV_DNS1,
  TG_SRV_DNS2,
  TG_SRV_FS,       /* SMB file server */
  TG_SRV_BACKUP,   /* backup server: connects to 445 on many hosts */
  TG_SRV_DC,       /* domain controller: LDAP, Kerberos, SYSVOL, NTP */
  TG_SRV_EHR,      /* intranet application, HTTPS */
  TG_SRV_SSH,      /* Linux jump host */
  TG_SRV_PACS,     /* legacy imaging server (default exploit victim) */
  TG_SRV_MODALITY, /* imaging modality workstation */
  TG_SRV_PORTAL,   /* public web portal (default flood victim) */
  TG_SRV_VPN,      /* VPN / mail gateway */
  TG_SRV_WWW,      /* public web site */
  TG_SRV_SCANNER,  /* the hospital's own vulnerability scanner */
  TG_SRV_PBX,      /* telephony: SIP registrar and media relay */
  TG_SRV_HYPERV,   /* hypervisor host (VM snapshots) */
  TG_SRV_NAS,      /* storage the snapshots go to */
  TG_SRV_COUNT
};
#define TG_SRV_CLASSIC TG_SRV_SCANNER /* the servers of the first model */
#define TG_DEVICES 32                 /* LAN devices: printers, displays */

typedef struct tg_net {
  tg_host_t *clients; /* internal workstations, --hosts of them */
  uint32_t nclients;
  tg_host_t servers[TG_SRV_COUNT];
  tg_host_t *ext_web; /* external web/TLS servers */
  uint32_t n_web;     /* how many (set before init; 0 = 512) */
  double web_pow;     /* popularity: index = n * u^web_pow (0 = 3) */
  tg_host_t *ext_dns; /* external authoritative / upstream DNS servers */
  uint32_t n_dns;     /* how many (0 = 64) */
  tg_host_t devices[TG_DEVICES];
  tg_host_t ext_ntp[4];
  tg_host_t ext_ssh[8];
  uint8_t router_mac[6];
} tg_net_t;

/* ---- the generator ----------------------------------------------------- */
typedef struct tg_actor tg_actor_t;
typedef struct tg_gen tg_gen_t;

/* One step of an actor at time a->t: may queue packets stamped >= a->t,
 * sets a->t to its next step and returns true, or returns false when it is
 * finished (the scheduler then frees it). */
typedef bool (*tg_step_fn)(tg_gen_t *g, tg_actor_t *a);

struct tg_actor {
  uint64_t t;   /* next step time, ns since epoch */
  uint64_t seq; /* tie-break: creation order */
  tg_step_fn step;
  void (*fini)(tg_gen_t *g, tg_actor_t *a); /* optional, before free */
  tg_rng_t rng;
  int cls;          /* benign class of a session, -1 otherwise */
  uint32_t packets; /* packets this actor queued */
};

typedef struct tg_pktq {
  uint64_t ts;
  uint64_t seq;
  tg_tag_t tag;
  uint32_t len;
  uint8_t *data;
} tg_pktq_t;

typedef struct tg_attack_opt {
  char kind[24];
  int nopt;
  char key[TG_ATTACK_OPTS][24];
  char val[TG_ATTACK_OPTS][160];
  bool used[TG_ATTACK_OPTS];
} tg_attack_opt_t;

typedef struct tg_class_stat {
  double avg_pkts;   /* mean packets per session assumed by the spawner */
  double share;      /* share of the benign packet rate */
  uint64_t sessions; /* started */
  uint64_t ended;    /* finished (their packets are counted) */
  uint64_t packets;
} tg_class_stat_t;

struct tg_gen {
  /* options */
  uint64_t seed;
  uint64_t start_ns;
  uint64_t end_ns; /* UINT64_MAX = unlimited */
  uint32_t nhosts;
  double rate; /* benign packets per second */
  uint64_t max_packets;
  uint32_t snaplen; /* captured bytes per frame, 0 = all (--snaplen) */
  int dlt;          /* DLT_ value of the output */
  uint16_t vlan[2];
  int nvlan;
  bool nano;
  const char *profile;
  int mix; /* TG_MIX_*: the shares of the benign classes */

  tg_rng_t rng;
  tg_net_t net;

  /* actors */
  tg_actor_t **actors;
  size_t nactors, capactors;
  uint64_t actor_seq;
  uint32_t live_sessions;
  uint64_t sessions_skipped;

  /* queued packets */
  tg_pktq_t *q;
  size_t nq, capq;
  uint64_t pkt_seq;

  /* output */
  void *pcap;   /* pcap_t * */
  void *dumper; /* pcap_dumper_t * */
  uint64_t written;
  uint64_t bytes;
  uint64_t first_ts, last_ts;
  bool stop;

  tg_truth_t *truth;
  int ntruth;

  tg_class_stat_t cls[16];
  int ncls;

  /* filler blocks */
  uint8_t fill_rand[TG_FILL_SIZE];
  uint8_t fill_text[TG_FILL_SIZE];

  /* scratch */
  uint8_t l4[TG_L4_MAX];
  uint8_t frame[TG_FRAME_MAX + 64];
};

enum { TG_MIX_DEFAULT, TG_MIX_HARD };

/* ---- sched.c ----------------------------------------------------------- */
void tg_sched_add(tg_gen_t *g, tg_actor_t *a, uint64_t t);
/* Runs all actors, writing packets; returns 0 or -1 on a write error. */
int tg_sched_run(tg_gen_t *g);
/* Queues one finished frame (copied). ts must be >= the current step. */
void tg_sched_push(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const uint8_t *f,
                   size_t len);
void tg_sched_free(tg_gen_t *g);
/* Time of the step being run (packets must not be earlier). */
extern uint64_t tg_sched_now;

/* ---- pkt.c --------------------------------------------------------------
 * One direction of a conversation at the IP layer. */
typedef struct tg_l3 {
  const wd_addr_t *src, *dst;
  const uint8_t *smac, *dmac;
  uint8_t ttl;
  uint16_t ipid; /* IPv4 identification; IPv6 fragment id low bits */
  bool df;       /* IPv4 don't fragment */
  bool src_internal;
} tg_l3_t;

/* Fills l3 from two hosts and an address family (6 = IPv6). */
void tg_pkt_l3_from_hosts(tg_l3_t *l3, const tg_host_t *src,
                          const tg_host_t *dst, int family);

#define TG_FIN 0x01
#define TG_SYN 0x02
#define TG_RST 0x04
#define TG_PSH 0x08
#define TG_ACK 0x10
#define TG_URG 0x20

/* Each builds the full frame(s) and queues them with tg_sched_push. */
void tg_pkt_tcp(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
                uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, uint16_t win, const uint8_t *opt, size_t optlen,
                const uint8_t *pl, size_t plen);
/* UDP; IP packets above the MTU are sent as fragments (first fragment with
 * the UDP header, then non-first ones). Returns packets queued. */
int tg_pkt_udp(tg_gen_t *g, uint64_t ts, uint64_t frag_gap_ns, tg_tag_t tag,
               const tg_l3_t *l3, uint16_t sport, uint16_t dport,
               const uint8_t *pl, size_t plen);
/* ICMP (IPv4) or ICMPv6 (IPv6 addresses): type/code, 4-byte rest of header
 * (id/seq, or unused), then pl. */
void tg_pkt_icmp(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
                 uint8_t type, uint8_t code, uint32_t rest, const uint8_t *pl,
                 size_t plen);
/* Raw IP payload of protocol proto (e.g. 47 GRE); plen small enough for
 * one packet. */
void tg_pkt_ip(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
               uint8_t proto, const uint8_t *pl, size_t plen);
/* Builds (without queueing) an IPv4 packet into out; used for ICMP quotes
 * and GRE payloads. Returns its length. */
size_t tg_pkt_ipv4_udp_bytes(uint8_t *out, size_t cap, const wd_addr_t *src,
                             const wd_addr_t *dst, uint8_t ttl, uint16_t ipid,
                             uint16_t sport, uint16_t dport, const uint8_t *pl,
                             size_t plen);
uint16_t tg_pkt_csum(const uint8_t *p, size_t n, uint32_t init);
/* tg_pkt_udp with flags: TG_UDP_NO_FIRST leaves out the first fragment of
 * a fragmented datagram (only non-first fragments reach the tap). */
#define TG_UDP_NO_FIRST 0x1u
int tg_pkt_udp_ex(tg_gen_t *g, uint64_t ts, uint64_t frag_gap_ns, tg_tag_t tag,
                  const tg_l3_t *l3, uint16_t sport, uint16_t dport,
                  const uint8_t *pl, size_t plen, unsigned flags);

/* ---- tcp.c ------------------------------------------------------------- */
enum { TG_C2S = 0, TG_S2C = 1 };
enum { TG_FILL_RAND, TG_FILL_ZERO, TG_FILL_TEXT };

typedef struct tg_msg {
  uint8_t dir;         /* TG_C2S / TG_S2C */
  uint8_t fill;        /* bytes after hdr: TG_FILL_* */
  uint16_t hdr_len;    /* literal bytes in hdr */
  uint16_t tail_len;   /* of which the last tail_len go at the message end */
  uint32_t len;        /* total message bytes (>= hdr_len) */
  uint64_t think_ns;   /* pause before the sender starts it */
  uint64_t not_before; /* absolute earliest start, 0 = none */
  uint8_t hdr[TG_MSG_HDR];
} tg_msg_t;

typedef struct tg_tcp tg_tcp_t;
/* Fills the next message of the session; false = no more (close). */
typedef bool (*tg_tcp_next_fn)(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m);

enum { TG_ANSWER_OPEN, TG_ANSWER_NONE, TG_ANSWER_RST };
enum {
  TG_CLOSE_FIN_C, /* client sends FIN first */
  TG_CLOSE_FIN_S,
  TG_CLOSE_RST_C, /* client aborts with RST */
  TG_CLOSE_RST_S,
  TG_CLOSE_NONE /* leave the connection open */
};

typedef struct tg_tcp_end {
  wd_addr_t addr;
  uint8_t mac[6];
  bool internal;
  uint16_t port;
  uint8_t ttl;
  uint8_t wscale;
  uint16_t win;
  uint16_t ipid;
  uint32_t seq; /* next sequence number to send */
  uint32_t delay_ns;
} tg_tcp_end_t;

struct tg_tcp {
  tg_actor_t a;
  tg_tcp_end_t e[2]; /* TG_C2S index = client, TG_S2C index = server */
  tg_tag_t tag;
  uint8_t answer;      /* TG_ANSWER_* */
  uint8_t close;       /* TG_CLOSE_* */
  uint8_t syn_retries; /* for TG_ANSWER_NONE */
  uint8_t state;
  uint8_t retx;
  uint8_t prev_dir; /* sender of the last message, 2 = none yet */
  uint16_t mss;
  uint64_t gap_ns; /* spacing of full-size segments */
  uint64_t close_think_ns;
  uint64_t close_not_before; /* absolute earliest close, 0 = none */
  uint64_t last_ts[2];       /* last packet seen from each side */
  uint64_t msg_start;
  uint32_t off;     /* bytes of the current message already sent */
  uint32_t unacked; /* full segments since the receiver's last ACK */
  int cur;          /* index of the current message in msg[] */
  bool have[2];
  bool done_msgs;
  uint16_t salt;
  tg_tcp_next_fn next;
  tg_msg_t msg[2];
  uint64_t app_u64[8]; /* small app state (counters, ids) */
  unsigned char app[]; /* larger app state, size given to tg_tcp_new */
};

/* Allocates a session with app_size bytes of app state (zeroed). */
tg_tcp_t *tg_tcp_new(tg_gen_t *g, size_t app_size, tg_rng_t *parent);
/* Sets client and server ends from hosts; family 4 or 6. The client port
 * is drawn from the client's ephemeral range. */
void tg_tcp_ends(tg_tcp_t *s, const tg_host_t *client, const tg_host_t *server,
                 int family, uint16_t dport);
/* Queues the session to start (SYN) at time t. */
void tg_tcp_start(tg_gen_t *g, tg_tcp_t *s, uint64_t t);
/* Message helpers: start a message, literal bytes go to m->hdr. */
void tg_tcp_msg_init(tg_msg_t *m, int dir, uint64_t think_ns);
tg_buf_t tg_tcp_msg_buf(tg_msg_t *m);
void tg_tcp_msg_done(tg_msg_t *m, const tg_buf_t *b, uint32_t extra,
                     int fill); /* total = literal + extra filler */
/* A message from prebuilt bytes p[0, len): bytes [opq_off, opq_off +
 * opq_len) (ciphertext, file data) become random filler, the rest stays
 * literal (head and tail together at most TG_MSG_HDR). */
bool tg_tcp_msg_bytes(tg_msg_t *m, int dir, uint64_t think_ns, const uint8_t *p,
                      size_t len, size_t opq_off, size_t opq_len);

/* ---- netmodel.c -------------------------------------------------------- */
int tg_netmodel_init(tg_gen_t *g);
void tg_netmodel_free(tg_gen_t *g);
const tg_host_t *tg_netmodel_client(tg_gen_t *g, tg_rng_t *r);
const tg_host_t *tg_netmodel_web(tg_gen_t *g, tg_rng_t *r);
const tg_host_t *tg_netmodel_upstream_dns(tg_gen_t *g, tg_rng_t *r);
/* A host record for any address: a known host when it matches, else a
 * synthesized internal (private / facility address) or external host. */
void tg_netmodel_host_for(tg_gen_t *g, const wd_addr_t *a, tg_host_t *out);
/* True for the servers and workstations of the model. */
bool tg_netmodel_exists(tg_gen_t *g, const wd_addr_t *a);
/* A random public (globally routable, not special-purpose) address. */
void tg_netmodel_public_v4(tg_rng_t *r, wd_addr_t *out);
void tg_netmodel_public_v6(tg_rng_t *r, wd_addr_t *out);
/* Internal address of the facility: 10.20.x.y or 2001:db8:20:x::y. */
void tg_netmodel_internal(uint32_t n, bool v6, wd_addr_t *out);
bool tg_netmodel_is_internal(const wd_addr_t *a);
void tg_netmodel_mac_for(const wd_addr_t *a, uint8_t mac[6]);
/* Ethernet multicast address of an IPv4/IPv6 multicast group. */
void tg_netmodel_mcast_mac(const wd_addr_t *a, uint8_t mac[6]);

/* ---- smb.c ------------------------------------------------------------- */
/* SMB1 header fields for a message. */
typedef struct tg_smb1 {
  uint8_t cmd;
  uint32_t status;
  bool reply;
  uint16_t flags2;
  uint16_t tid, pid, uid, mid;
  uint8_t sig[8];
} tg_smb1_t;

#define TG_SMB1_NEGOTIATE 0x72
#define TG_SMB1_SESSION_SETUP 0x73
#define TG_SMB1_TREE_CONNECT 0x75
#define TG_SMB1_TREE_DISCONNECT 0x71
#define TG_SMB1_LOGOFF 0x74
#define TG_SMB1_TRANS2 0x32
#define TG_SMB1_TRANS2_SECONDARY 0x33
#define TG_SMB1_NT_TRANSACT 0xa0
#define TG_SMB1_ECHO 0x2b

#define TG_STATUS_SUCCESS 0x00000000u
#define TG_STATUS_NOT_IMPLEMENTED 0xc0000002u
#define TG_STATUS_INVALID_PARAMETER 0xc000000du
#define TG_STATUS_MORE_PROCESSING 0xc0000016u
#define TG_STATUS_ACCESS_DENIED 0xc0000022u

/* Each writes one complete NetBIOS session message into m (literal part
 * and filler) and returns true; false if it does not fit. */
bool tg_smb1_negotiate_req(tg_msg_t *m, const tg_smb1_t *h, bool smb2_too);
bool tg_smb1_negotiate_resp(tg_msg_t *m, const tg_smb1_t *h, uint64_t now_ns,
                            tg_rng_t *r);
bool tg_smb1_session_setup_req(tg_msg_t *m, const tg_smb1_t *h);
bool tg_smb1_session_setup_resp(tg_msg_t *m, const tg_smb1_t *h);
bool tg_smb1_tree_connect_req(tg_msg_t *m, const tg_smb1_t *h,
                              const char *path);
bool tg_smb1_tree_connect_resp(tg_msg_t *m, const tg_smb1_t *h);
bool tg_smb1_nt_trans_req(tg_msg_t *m, const tg_smb1_t *h, uint32_t total_data,
                          uint32_t data_count);
bool tg_smb1_trans2_secondary(tg_msg_t *m, const tg_smb1_t *h,
                              uint16_t data_count, uint16_t displacement);
bool tg_smb1_trans2_ping(tg_msg_t *m, const tg_smb1_t *h, uint32_t timeout);
bool tg_smb1_empty_resp(tg_msg_t *m, const tg_smb1_t *h); /* wc 0, bc 0 */
bool tg_smb1_trans2_resp(tg_msg_t *m, const tg_smb1_t *h);
bool tg_smb1_echo(tg_msg_t *m, const tg_smb1_t *h);
bool tg_smb1_simple_req(tg_msg_t *m, const tg_smb1_t *h); /* tree disc. */
bool tg_smb1_logoff(tg_msg_t *m, const tg_smb1_t *h);
/* The EternalBlue grooming message: NetBIOS length 0xfff7, SMB2 header. */
bool tg_smb_groom(tg_msg_t *m);

#define TG_SMB1_TRANSACTION 0x25
#define TG_SMB1_TRANSACTION_SECONDARY 0x26
#define TG_SMB1_WRITE_ANDX 0x2f
#define TG_SMB1_NT_TRANSACT_SECONDARY 0xa1
#define TG_SMB1_NT_CREATE_ANDX 0xa2

#define TG_STATUS_BUFFER_OVERFLOW 0x80000005u
#define TG_STATUS_INVALID_HANDLE 0xc0000008u
#define TG_STATUS_LOGON_FAILURE 0xc000006du
#define TG_STATUS_NOT_SUPPORTED 0xc00000bbu
#define TG_STATUS_INSUFF_SERVER_RESOURCES 0xc0000205u

/* A transaction request (TRANSACTION, TRANSACTION2, NT_TRANSACT). */
typedef struct tg_smb1_trans {
  uint8_t cmd;
  uint16_t function; /* NT_TRANSACT subcommand */
  uint16_t setup[4];
  int nsetup;
  uint32_t total_param, total_data, max_param, max_data;
  uint8_t max_setup;
  uint32_t timeout;
  const char *name;     /* TRANSACTION: "\PIPE\" */
  const uint8_t *param; /* nparam bytes (NULL: zeros) */
  uint32_t nparam;
  const uint8_t *data; /* ndata bytes (NULL: zeros) */
  uint32_t ndata;
} tg_smb1_trans_t;

/* Counts of a secondary request or a transaction response (cmd in the
 * header says which); fid only for TRANSACTION2_SECONDARY. */
typedef struct tg_smb1_sec {
  uint32_t total_param, total_data;
  uint32_t nparam, param_disp;
  uint32_t ndata, data_disp;
  const uint8_t *param;
  uint16_t fid;
} tg_smb1_sec_t;

/* Buffer builders: each appends one NetBIOS message to b and returns its
 * length (0 on overflow); *data_at (if given) is where its data starts. */
size_t tg_smb1_b_trans(tg_buf_t *b, const tg_smb1_t *h,
                       const tg_smb1_trans_t *t, size_t *data_at);
size_t tg_smb1_b_secondary(tg_buf_t *b, const tg_smb1_t *h,
                           const tg_smb1_sec_t *s, size_t *data_at);
size_t tg_smb1_b_trans_resp(tg_buf_t *b, const tg_smb1_t *h,
                            const tg_smb1_sec_t *s, size_t *data_at);
size_t tg_smb1_b_error(tg_buf_t *b, const tg_smb1_t *h); /* wc 0, bc 0 */
size_t tg_smb1_b_nt_create(tg_buf_t *b, const tg_smb1_t *h, const char *name);
size_t tg_smb1_b_nt_create_resp(tg_buf_t *b, const tg_smb1_t *h, uint16_t fid,
                                uint64_t now_ns);
size_t tg_smb1_b_write_andx(tg_buf_t *b, const tg_smb1_t *h, uint16_t fid,
                            uint16_t mode, uint16_t remaining, uint32_t n,
                            size_t *data_at);
size_t tg_smb1_b_write_andx_resp(tg_buf_t *b, const tg_smb1_t *h,
                                 uint32_t count);
size_t tg_smb1_b_negotiate_ext_resp(tg_buf_t *b, const tg_smb1_t *h,
                                    uint64_t now_ns, tg_rng_t *r);
/* SESSION_SETUP_ANDX with extended security: request (WordCount 12) or,
 * h->reply, response (WordCount 4), carrying a SPNEGO blob. */
size_t tg_smb1_b_session_setup_ext(tg_buf_t *b, const tg_smb1_t *h,
                                   const uint8_t *blob, size_t bl);
/* A TCP message from a built buffer; [opq_off, +opq_len) becomes filler of
 * the given kind (TG_FILL_*). */
bool tg_smb_msg_from(tg_msg_t *m, int dir, uint64_t think, const tg_buf_t *b,
                     size_t opq_off, size_t opq_len, int fill);

/* SMB2 */
#define TG_SMB2_NEGOTIATE 0x0000
#define TG_SMB2_SESSION_SETUP 0x0001
#define TG_SMB2_LOGOFF 0x0002
#define TG_SMB2_TREE_CONNECT 0x0003
#define TG_SMB2_TREE_DISCONNECT 0x0004
#define TG_SMB2_CREATE 0x0005
#define TG_SMB2_CLOSE 0x0006
#define TG_SMB2_READ 0x0008
#define TG_SMB2_WRITE 0x0009
#define TG_SMB2_IOCTL 0x000b

typedef struct tg_smb2 {
  uint16_t cmd;
  uint32_t status;
  bool reply;
  bool signed_;
  uint64_t mid;
  uint32_t tid;
  uint64_t sid;
  uint8_t sig[16];
  uint8_t fid[16];     /* CREATE response, READ, WRITE, CLOSE */
  uint64_t offset;     /* READ / WRITE file offset */
  uint16_t dialect;    /* NEGOTIATE response */
  const uint8_t *blob; /* NEGOTIATE response / SESSION_SETUP: a real */
  uint16_t bloblen;    /* security blob (else a placeholder of count) */
} tg_smb2_t;

/* A request or response of an SMB2 session; arg depends on the command:
 * READ/WRITE byte count, paths for TREE_CONNECT / CREATE. */
bool tg_smb2_msg(tg_msg_t *m, const tg_smb2_t *h, uint32_t count,
                 const char *path, uint64_t now_ns, tg_rng_t *r);

/* LDAP (RFC 4511): a searchRequest (equality filter attr=value under
 * base) and its answer: one searchResEntry whose last attribute value has
 * value_len random bytes (opq_off, opq_len locate them), then
 * searchResDone. */
size_t tg_ldap_search_req(uint8_t *out, size_t cap, uint32_t id,
                          const char *base, const char *attr,
                          const char *value);
size_t tg_ldap_search_res(uint8_t *out, size_t cap, uint32_t id, const char *dn,
                          size_t value_len, tg_rng_t *r, size_t *opq_off,
                          size_t *opq_len);

/* ---- krb_session.c ----------------------------------------------------- */
enum {
  TG_KRB_AS_NOPA, /* AS-REQ without pre-auth -> PREAUTH_REQUIRED */
  TG_KRB_AS_PA,   /* AS-REQ with PA-ENC-TIMESTAMP -> AS-REP */
  TG_KRB_AS_BAD,  /* AS-REQ with a wrong key -> PREAUTH_FAILED */
  TG_KRB_TGS      /* TGS-REQ -> TGS-REP */
};
/* One Kerberos exchange over TCP 88 (4-byte length prefix, RFC 4120
 * 7.2.2): a new session (not started). */
tg_tcp_t *tg_krb_session(tg_gen_t *g, tg_rng_t *r, int kind,
                         const tg_host_t *client, const tg_host_t *kdc,
                         const char *user, int family);
/* The same exchange over UDP 88, queued from t; returns packets. */
int tg_krb_udp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag, int kind,
               const tg_host_t *client, const tg_host_t *kdc, const char *user,
               int family);
/* A Windows logon: AS without pre-auth (PREAUTH_REQUIRED), AS with it
 * (AS-REP, after `typos` PREAUTH_FAILED answers to a mistyped password),
 * then a TGS for cifs/fs01: connections started from t. */
void tg_krb_logon(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                  const tg_host_t *client, const tg_host_t *kdc,
                  const char *user, int typos, int cls);

/* ---- smb_session.c ----------------------------------------------------- */
enum {
  TG_SMB_FILES,    /* a user on the file server: files read and written */
  TG_SMB_BACKUP,   /* the backup server reading C$ of a workstation */
  TG_SMB_DC,       /* the DC opening srvsvc on IPC$ */
  TG_SMB_SYSVOL,   /* a workstation reading group policy */
  TG_SMB_SNAPSHOT, /* a VM snapshot written in 1 MiB chunks */
  TG_SMB_LOGON,    /* session setup and logoff only */
  TG_SMB_GUESS     /* a password guess: ends at the failure (typos > 0) */
};
typedef struct tg_smb_opts {
  int mode;
  int typos;                 /* LOGON_FAILUREs before the right password */
  uint64_t bytes;            /* TG_SMB_SNAPSHOT: bytes written */
  const char *user, *domain; /* NULL: from the client */
} tg_smb_opts_t;
/* A new (not started) SMB2 session to server:445. */
tg_tcp_t *tg_smb2_session(tg_gen_t *g, tg_rng_t *r, const tg_smb_opts_t *o,
                          const tg_host_t *client, const tg_host_t *server,
                          int family);
/* A staff account name for workstation n ("a.patel"). */
void tg_apps_user(uint32_t n, char *out, size_t cap);

/* ---- ssh_session.c ----------------------------------------------------- */
enum { TG_SSH_SHELL, TG_SSH_GUESS };
typedef struct tg_ssh_opts {
  int mode;
  uint16_t port;          /* 0 = 22 */
  uint32_t keystrokes;    /* shell: keystrokes (each echoed) */
  uint64_t bulk;          /* shell: bytes copied up first (scp) */
  int failures;           /* wrong passwords before success; GUESS: the
                             tries of this connection, all wrong (0 = the
                             guess is right) */
  uint32_t think_ms;      /* mean gap between keystrokes (0 = 350) */
  uint32_t idle_permille; /* share of keystrokes after a long pause */
} tg_ssh_opts_t;
tg_tcp_t *tg_ssh_session(tg_gen_t *g, tg_rng_t *r, const tg_ssh_opts_t *o,
                         const tg_host_t *client, const tg_host_t *server,
                         int family);

/* ---- apps.c ------------------------------------------------------------ */
const char *tg_apps_domain(tg_rng_t *r);
const char *tg_apps_web_domain(tg_rng_t *r); /* no SRV or internal names */
size_t tg_apps_dns_query(uint8_t *out, size_t cap, uint16_t id,
                         const char *name, uint16_t qtype, bool edns);
/* Answer to a query: answers records of about answer_bytes in total. */
size_t tg_apps_dns_answer(uint8_t *out, size_t cap, const uint8_t *query,
                          size_t qlen, int answers, tg_rng_t *r, bool nx);
/* An oversized ANY-style answer of about size bytes (amplification). */
size_t tg_apps_dns_big(uint8_t *out, size_t cap, uint16_t id, const char *name,
                       size_t size, tg_rng_t *r);
size_t tg_apps_ntp(uint8_t *out, size_t cap, int mode, uint64_t now_ns,
                   tg_rng_t *r);
bool tg_apps_http_req(tg_msg_t *m, const char *host, tg_rng_t *r,
                      uint64_t think);
bool tg_apps_http_resp(tg_msg_t *m, uint32_t body, tg_rng_t *r, uint64_t think);
bool tg_apps_tls_client_hello(tg_msg_t *m, const char *sni, tg_rng_t *r);
bool tg_apps_tls_server_hello(tg_msg_t *m, tg_rng_t *r, uint64_t think);
bool tg_apps_tls_record(tg_msg_t *m, int dir, uint32_t len, uint64_t think);
bool tg_apps_ssh_banner(tg_msg_t *m, int dir, bool server);
bool tg_apps_ssh_packet(tg_msg_t *m, int dir, uint32_t len, uint64_t think);
/* The key exchange in clear: KEX_ECDH_INIT (client) or KEX_ECDH_REPLY +
 * NEWKEYS (server), curve25519 / ssh-ed25519. */
bool tg_apps_ssh_kex(tg_msg_t *m, int dir, tg_rng_t *r, uint64_t think);
/* The client's NEWKEYS and its first encrypted packet of first_len. */
bool tg_apps_ssh_newkeys(tg_msg_t *m, uint32_t first_len, tg_rng_t *r,
                         uint64_t think);

/* ---- auth.c: SPNEGO/NTLMSSP ([MS-NLMP], RFC 4178), Kerberos (RFC 4120) -- */
/* SPNEGO tokens for an SMB session setup, each a complete security blob:
 * the client's negTokenInit with NTLM NEGOTIATE, the server's NEGOTIATE
 * hints, its negTokenResp with the CHALLENGE, the client's AUTHENTICATE
 * (domain, user and workstation in clear), the server's accept-completed.
 * Return the length, 0 if it does not fit. */
size_t tg_auth_spnego_init(uint8_t *out, size_t cap);
size_t tg_auth_spnego_hints(uint8_t *out, size_t cap);
size_t tg_auth_spnego_challenge(uint8_t *out, size_t cap, const char *server,
                                uint64_t now_ns, tg_rng_t *r);
size_t tg_auth_spnego_auth(uint8_t *out, size_t cap, const char *domain,
                           const char *user, const char *ws, const char *server,
                           uint64_t now_ns, tg_rng_t *r);
size_t tg_auth_spnego_done(uint8_t *out, size_t cap, tg_rng_t *r);

typedef struct tg_krb {
  const char *realm;        /* "HOSPITAL.EXAMPLE" */
  const char *user;         /* client principal */
  const char *host;         /* client NetBIOS name (addresses), or NULL */
  const char *service;      /* TGS: service, e.g. "cifs" */
  const char *service_host; /* TGS: "fs01.hospital.example" */
  uint32_t nonce;
  uint64_t now_ns;
} tg_krb_t;

#define TG_KRB_PREAUTH_FAILED 24
#define TG_KRB_PREAUTH_REQUIRED 25
/* Kerberos messages without the TCP length prefix. The AS-REP/TGS-REP
 * (tgs=true) and TGS-REQ builders give the offset and length of their
 * ticket's cipher (*opq_off, *opq_len) for tg_tcp_msg_bytes. */
size_t tg_krb_as_req(uint8_t *out, size_t cap, const tg_krb_t *k, bool padata,
                     tg_rng_t *r);
size_t tg_krb_error(uint8_t *out, size_t cap, const tg_krb_t *k, int code,
                    tg_rng_t *r);
size_t tg_krb_as_rep(uint8_t *out, size_t cap, const tg_krb_t *k, bool tgs,
                     tg_rng_t *r, size_t *opq_off, size_t *opq_len);
size_t tg_krb_tgs_req(uint8_t *out, size_t cap, const tg_krb_t *k, tg_rng_t *r,
                      size_t *opq_off, size_t *opq_len);

/* ---- rdp.c ----------------------------------------------------------- */
/* A new RDP session to server:3389. mode 0: an administrator's session
 * (interactive until the end set with tg_rdp_set_end); 1: a wrong password
 * (NLA fails, the server closes); 2: a right guess (goes on like 0). */
tg_tcp_t *tg_rdp_session(tg_gen_t *g, tg_rng_t *r, const tg_host_t *client,
                         const tg_host_t *server, int family,
                         uint64_t duration_ns, int mode);
void tg_rdp_set_user(tg_tcp_t *s, const char *user); /* the cookie's name */
void tg_rdp_set_end(tg_tcp_t *s, uint64_t end_ns);

/* ---- bulk.c: paced one-way transfers ------------------------------------ */
enum { TG_BULK_DICOM, TG_BULK_TLS_UP };
/* A new (not started) session sending `bytes` from client to server:port
 * at about mbps (0: the path's bandwidth): a DICOM C-STORE association or
 * a TLS upload with SNI sni. */
tg_tcp_t *tg_bulk_session(tg_gen_t *g, tg_rng_t *r, int kind,
                          const tg_host_t *client, const tg_host_t *server,
                          int family, uint16_t port, uint64_t bytes,
                          double mbps, const char *sni);

/* ---- quic.c: QUIC v1 (RFC 9000, 9001) --------------------------------- */
/* The Initial keys of a Destination Connection ID (RFC 9001 5.2). */
void tg_quic_initial_keys(const uint8_t *dcid, size_t dl, bool server,
                          uint8_t key[16], uint8_t iv[12], uint8_t hp[16]);
/* A connection client -> server:443 from t: real client and server
 * Initials (ClientHello with sni, ServerHello), then Handshake and 1-RTT
 * packets with opaque payloads: `exchanges` requests answered with
 * lognormal responses of median bytes. cls >= 0: counted in that benign
 * class. Returns 0, -1 out of memory. */
int tg_quic_start(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                  const tg_host_t *client, const tg_host_t *server, int family,
                  const char *sni, uint32_t exchanges, uint64_t median,
                  int cls);
void tg_quic_free(void); /* cipher contexts, at exit */

/* ---- voip.c: SIP + RTP ------------------------------------------------- */
/* A call from phone via the telephony server (and, trunk != NULL, on to
 * the carrier): SIP setup, RTP both ways for duration_ns, BYE. in_progress:
 * the call was already running (RTP only from t). */
int tg_voip_call(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *phone, const tg_host_t *trunk,
                 uint64_t duration_ns, bool in_progress, int cls);

/* ---- discovery.c: mDNS, SSDP, NTP on the LAN ---------------------------- */
/* Each queues one exchange from t and returns the packets queued. */
int tg_disc_mdns(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *asker, bool v6);
int tg_disc_ssdp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *asker);
int tg_disc_notify(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag);
int tg_disc_ntp(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                const tg_host_t *client);

/* ---- benign.c ---------------------------------------------------------- */
int tg_benign_setup(tg_gen_t *g);
/* Starts a TCP session at t counted in benign class cls (-1: none). */
void tg_benign_start_tcp(tg_gen_t *g, tg_tcp_t *s, int cls, uint64_t t);
void tg_benign_session_done(tg_gen_t *g, int cls, uint32_t packets);
/* Per-class session and packet counts on stderr (TRAFFICGEN_DEBUG=1). */
void tg_benign_report(tg_gen_t *g);

/* ---- attacks ----------------------------------------------------------- */
/* Each reads its options (tg_opt_*), schedules its actors and truth rows,
 * and returns 0, or -1 with a message on stderr. at_ns is the absolute
 * start when the option at= is absent. */
int tg_atk_ms17010(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_doublepulsar(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_worm(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_synflood(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_amplification(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_volumetric(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_scan(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns, bool vertical);
int tg_atk_service_scan(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_brute(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_exfil(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_c2(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
int tg_atk_intel(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);
/* C2 callback of an implanted victim to server (atk_misc.c): beacons over
 * TLS (a connection each) or one raw session, from at; after names the
 * exploit for the truth row (or NULL). */
int tg_c2_launch(tg_gen_t *g, const tg_host_t *victim, const wd_addr_t *server,
                 bool raw, uint16_t port, uint32_t beacons, double interval_s,
                 uint64_t at, const char *after);
/* A scan of the first `hosts` workstations on the `ports` most common
 * ports (each port swept over the hosts in turn) from src at rate probes
 * per second, tagged with truth row `row` (the vulnerability scanner). */
int tg_scan_run(tg_gen_t *g, const tg_host_t *src, const tg_host_t *dst,
                uint32_t hosts, uint32_t ports, double rate, uint64_t at,
                int row);
/* lookalike.c: --benign KIND[:key=value,...] */
int tg_look_run(tg_gen_t *g, tg_attack_opt_t *o, uint64_t at_ns);

/* ---- trafficgen.c: option and truth helpers for the attacks ------------ */
int tg_opt_u64(tg_attack_opt_t *o, const char *key, uint64_t def, uint64_t min,
               uint64_t max, uint64_t *out);
int tg_opt_double(tg_attack_opt_t *o, const char *key, double def, double min,
                  double max, double *out);
/* Absolute start time from at= (seconds after --start, may be fractional). */
int tg_opt_at(tg_gen_t *g, tg_attack_opt_t *o, uint64_t def_ns, uint64_t *out);
/* Address option; *set tells whether it was given. */
int tg_opt_addr(tg_attack_opt_t *o, const char *key, wd_addr_t *out, bool *set);
const char *tg_opt_str(tg_attack_opt_t *o, const char *key, const char *def);
/* A byte count: digits with an optional K, M, G or T (binary multiples). */
int tg_opt_bytes(tg_attack_opt_t *o, const char *key, const char *def,
                 uint64_t *out);
/* Adds a truth row; returns its index or -1 when the table is full. */
int tg_truth_add(tg_gen_t *g, const char *kind, const char *detector,
                 const wd_addr_t *attacker, const wd_addr_t *target,
                 const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));
void tg_truth_append(tg_gen_t *g, int row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The default external attacker addresses (MaxMind test databases). */
void tg_default_attacker(int which, bool v6, wd_addr_t *out);

#endif
