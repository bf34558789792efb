/* evidence_rewrite.c -- an evidence capture made fit for a party outside
 * the facility (see evidence.h): internal addresses become placeholders,
 * consistently, with checksums kept right.
 * In: a capture (file or memory; hostile bytes) and the networks and names
 * to withhold. Out: a classic pcap in a malloc'd buffer. Memory: the input
 * frames are copied once into one buffer (at most
 * WD_EVIDENCE_REWRITE_INPUT_MAX bytes); the address and MAC maps are
 * fixed-size tables in the context; a frame is rewritten in place in that
 * copy, with a snapshot of its transport segment to update checksums from
 * the difference (RFC 1624), so frames cut by the snap length keep
 * correct checksums too. Two passes: the first records every address of
 * the capture (a placeholder must not be one of them), the second
 * rewrites. Not on the packet path: run once per notification. */
#include "incident/evidence.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "decode/decode.h"

#define MAP_SLOTS 8192u   /* address map, open addressing, > 2 * ADDRS_MAX */
#define MAC_SLOTS 8192u   /* MAC map, > 2 * MACS_MAX */
#define SEEN_SLOTS 65536u /* addresses seen in the capture */
#define FRAME_MAX 262144u /* largest frame taken (libpcap's own maximum) */
#define DEPTH_MAX 2       /* IP inside ICMP errors / IP-in-IP, levels */

typedef struct frame {
  uint64_t ts_ns;
  uint32_t caplen, wirelen;
  size_t off; /* into rw_t.data */
} frame_t;

typedef struct amap {
  bool used;
  wd_addr_t from, to;
} amap_t;

typedef struct mmap_ent {
  bool used;
  uint8_t from[6], to[6];
} mmap_t;

typedef struct rw {
  const wd_evidence_redact_t *r;
  int linktype;
  uint32_t snaplen;
  wd_strbuf_t data; /* every frame, back to back; capped at
                       WD_EVIDENCE_REWRITE_INPUT_MAX */
  frame_t *frames;
  size_t n_frames, frames_cap;
  amap_t map[MAP_SLOTS];
  size_t n_map;
  mmap_t macs[MAC_SLOTS];
  size_t n_macs;
  wd_addr_t *seen; /* SEEN_SLOTS; a zero address marks an empty slot */
  size_t n_seen;
  unsigned next_v4, next_v6; /* next placeholder candidates */
  bool full;                 /* placeholders ran out on this frame */
  /* transport segment before the rewrite, one per nesting level */
  uint8_t snap[DEPTH_MAX + 1][FRAME_MAX];
  wd_evidence_rewrite_stats_t st;
} rw_t;

static const wd_addr_t zero_addr;

static bool in_any(const wd_cidr_t *v, size_t n, const wd_addr_t *a) {
  for (size_t i = 0; i < n; i++)
    if (wd_cidr_contains(&v[i], a))
      return true;
  return false;
}

static bool is_internal(const rw_t *w, const wd_addr_t *a) {
  return in_any(w->r->withhold, w->r->n_withhold, a) &&
         !in_any(w->r->keep, w->r->n_keep, a);
}

/* ---- addresses seen ---- */

static void seen_add(rw_t *w, const wd_addr_t *a) {
  if (wd_addr_eq(a, &zero_addr) || w->n_seen >= SEEN_SLOTS / 2)
    return;
  size_t h = wd_addr_hash(a, 0x5eed) & (SEEN_SLOTS - 1);
  while (!wd_addr_eq(&w->seen[h], &zero_addr)) {
    if (wd_addr_eq(&w->seen[h], a))
      return;
    h = (h + 1) & (SEEN_SLOTS - 1);
  }
  w->seen[h] = *a;
  w->n_seen++;
}

static bool seen_has(const rw_t *w, const wd_addr_t *a) {
  size_t h = wd_addr_hash(a, 0x5eed) & (SEEN_SLOTS - 1);
  while (!wd_addr_eq(&w->seen[h], &zero_addr)) {
    if (wd_addr_eq(&w->seen[h], a))
      return true;
    h = (h + 1) & (SEEN_SLOTS - 1);
  }
  return false;
}

/* ---- the address map ---- */

static const uint8_t doc_v4[3][3] = {
    {192, 0, 2}, {198, 51, 100}, {203, 0, 113}};

/* Next placeholder of a's family that is neither internal, kept, nor seen
 * in the capture; false when none is left. */
static bool next_placeholder(rw_t *w, bool v4, wd_addr_t *out) {
  for (;;) {
    if (v4) {
      if (w->next_v4 >= 3 * 254)
        return false;
      uint8_t b[4] = {doc_v4[w->next_v4 / 254][0], doc_v4[w->next_v4 / 254][1],
                      doc_v4[w->next_v4 / 254][2],
                      (uint8_t)(w->next_v4 % 254 + 1)};
      w->next_v4++;
      wd_addr_from_v4(out, b);
    } else {
      if (w->next_v6 >= 0xfffe)
        return false;
      uint8_t b[16] = {0x3f, 0xff};
      unsigned k = ++w->next_v6;
      b[14] = (uint8_t)(k >> 8);
      b[15] = (uint8_t)k;
      wd_addr_from_v6(out, b);
    }
    if (!in_any(w->r->withhold, w->r->n_withhold, out) &&
        !in_any(w->r->keep, w->r->n_keep, out) && !seen_has(w, out))
      return true;
  }
}

/* The placeholder of internal address a (allocated on first sight); NULL
 * when the map is full (w->full is set). */
static const wd_addr_t *map_addr(rw_t *w, const wd_addr_t *a) {
  size_t h = wd_addr_hash(a, 0x3a9) & (MAP_SLOTS - 1);
  while (w->map[h].used) {
    if (wd_addr_eq(&w->map[h].from, a))
      return &w->map[h].to;
    h = (h + 1) & (MAP_SLOTS - 1);
  }
  wd_addr_t to;
  if (w->n_map >= WD_EVIDENCE_REWRITE_ADDRS_MAX ||
      !next_placeholder(w, wd_addr_is_v4(a), &to)) {
    w->full = true;
    return NULL;
  }
  w->map[h].used = true;
  w->map[h].from = *a;
  w->map[h].to = to;
  w->n_map++;
  w->st.addresses++;
  return &w->map[h].to;
}

/* The placeholder when a was already mapped, else NULL (no allocation). */
static const wd_addr_t *map_find(const rw_t *w, const wd_addr_t *a) {
  size_t h = wd_addr_hash(a, 0x3a9) & (MAP_SLOTS - 1);
  while (w->map[h].used) {
    if (wd_addr_eq(&w->map[h].from, a))
      return &w->map[h].to;
    h = (h + 1) & (MAP_SLOTS - 1);
  }
  return NULL;
}

/* Rewrites n (4 or 16) address bytes at p in place when internal. */
static void rewrite_addr(rw_t *w, uint8_t *p, size_t n) {
  wd_addr_t a;
  if (n == 4)
    wd_addr_from_v4(&a, p);
  else
    wd_addr_from_v6(&a, p);
  if (!is_internal(w, &a))
    return;
  const wd_addr_t *to = map_addr(w, &a);
  if (to)
    memcpy(p, n == 4 ? to->b + 12 : to->b, n);
}

static void rewrite_mac(rw_t *w, uint8_t *m) {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (!memcmp(m, bcast, 6))
    return;
  uint32_t h = 2166136261u;
  for (int i = 0; i < 6; i++)
    h = (h ^ m[i]) * 16777619u;
  size_t k = h & (MAC_SLOTS - 1);
  while (w->macs[k].used) {
    if (!memcmp(w->macs[k].from, m, 6)) {
      memcpy(m, w->macs[k].to, 6);
      return;
    }
    k = (k + 1) & (MAC_SLOTS - 1);
  }
  if (w->n_macs >= WD_EVIDENCE_REWRITE_MACS_MAX) {
    w->full = true;
    return;
  }
  size_t idx = ++w->n_macs;
  uint8_t to[6] = {(uint8_t)(0x02 | (m[0] & 1)), 0,           0, 0,
                   (uint8_t)(idx >> 8),          (uint8_t)idx};
  w->macs[k].used = true;
  memcpy(w->macs[k].from, m, 6);
  memcpy(w->macs[k].to, to, 6);
  memcpy(m, to, 6);
}

/* ---- checksums (RFC 1071 sums, RFC 1624 updates) ---- */

/* One's complement sum of n bytes starting at an even offset of the
 * checksummed data, skipping the 2-byte field at skip (or SIZE_MAX). */
static uint32_t sum16(const uint8_t *b, size_t n, size_t skip) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) {
    if (skip != SIZE_MAX && (i == skip || i == skip + 1))
      continue;
    s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
  }
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint32_t)s;
}

/* Updates the checksum at field for data whose sum went from old to new.
 * udp: a zero checksum means "none" and a result of zero is sent as
 * 0xffff (RFC 768). */
static void csum_update(uint8_t *field, uint32_t old, uint32_t new, bool udp) {
  uint32_t hc = (uint32_t)field[0] << 8 | field[1];
  if (udp && hc == 0)
    return;
  uint32_t s = (~hc & 0xffff) + (~old & 0xffff) + new;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  hc = ~s & 0xffff;
  if (udp && hc == 0)
    hc = 0xffff;
  field[0] = (uint8_t)(hc >> 8);
  field[1] = (uint8_t)hc;
}

/* ---- text and bytes inside payloads ---- */

/* Byte i of a text of stride st (1: ASCII, 2: UTF-16LE) at p; -1 when the
 * high byte of a UTF-16 unit is not zero or past end. */
static int tch(const uint8_t *p, size_t len, size_t i, unsigned st) {
  size_t o = i * st;
  if (o + st > len || (st == 2 && p[o + 1] != 0))
    return -1;
  return p[o];
}

static void tput(uint8_t *p, size_t i, unsigned st, char c) {
  p[i * st] = (uint8_t)c;
}

/* IPv4 text of exactly len characters for address v: octets padded with
 * leading zeros from the last one; false when it cannot fit. */
static bool fit_v4(const uint8_t v[4], size_t len, char *out) {
  unsigned dig[4], total = 3;
  for (int i = 0; i < 4; i++) {
    dig[i] = v[i] >= 100 ? 3 : v[i] >= 10 ? 2 : 1;
    total += dig[i];
  }
  if (total > len || len > 15)
    return false;
  for (int i = 3; i >= 0 && total < len; i--)
    while (dig[i] < 3 && total < len)
      dig[i]++, total++;
  if (total != len)
    return false;
  size_t o = 0;
  for (int i = 0; i < 4; i++)
    o +=
        (size_t)snprintf(out + o, 8, "%s%0*u", i ? "." : "", (int)dig[i], v[i]);
  return o == len;
}

/* IPv6 text of exactly len characters for a placeholder 3fff::k: "3fff",
 * z explicit zero groups, "::" unless all eight groups are written, then
 * k; groups padded with leading zeros. false when it cannot fit. */
static bool fit_v6(const uint8_t v[16], size_t len, char *out) {
  unsigned k = (unsigned)v[14] << 8 | v[15];
  unsigned dk = k >= 0x1000 ? 4 : k >= 0x100 ? 3 : k >= 0x10 ? 2 : 1;
  if (v[0] != 0x3f || v[1] != 0xff || len > 39)
    return false;
  for (unsigned z = 0; z <= 6; z++) {
    bool all = z == 6;
    size_t min = 4 + 2 * z + (all ? 1 : 2) + dk;
    size_t max = 4 + 5 * z + (all ? 1 : 2) + 4;
    if (len < min || len > max)
      continue;
    size_t extra = len - min, o = 0;
    unsigned pk = dk + (unsigned)(extra < 4 - dk ? extra : 4 - dk);
    extra -= pk - dk;
    o += (size_t)snprintf(out + o, 6, "3fff");
    for (unsigned g = 0; g < z; g++) {
      unsigned d = 1 + (unsigned)(extra < 3 ? extra : 3);
      extra -= d - 1;
      o += (size_t)snprintf(out + o, 7, ":%0*u", (int)d, 0u);
    }
    o += (size_t)snprintf(out + o, 4, "%s", all ? ":" : "::");
    o += (size_t)snprintf(out + o, 8, "%0*x", (int)pk, k);
    return o == len && extra == 0;
  }
  return false;
}

/* Dotted quads (also reversed, as in in-addr.arpa) of internal addresses
 * in the text at p. */
static void scrub_v4_text(rw_t *w, uint8_t *p, size_t len, unsigned st) {
  size_t n = len / st;
  for (size_t i = 0; i < n; i++) {
    int c = tch(p, len, i, st);
    if (c < '0' || c > '9')
      continue;
    int prev = i ? tch(p, len, i - 1, st) : -1;
    if ((prev >= '0' && prev <= '9') || prev == '.')
      continue;
    /* up to 8 dot-separated numbers from here */
    size_t start[8], end[8];
    unsigned val[8], parts = 0;
    size_t j = i;
    while (parts < 8) {
      size_t s = j;
      unsigned v = 0;
      while (j < n && j - s < 3 && (c = tch(p, len, j, st)) >= '0' && c <= '9')
        v = v * 10 + (unsigned)(c - '0'), j++;
      if (j == s || v > 255 || ((c = tch(p, len, j, st)) >= '0' && c <= '9'))
        break;
      start[parts] = s, end[parts] = j, val[parts] = v, parts++;
      if (tch(p, len, j, st) != '.')
        break;
      j++;
    }
    for (unsigned k = 0; k + 4 <= parts;) {
      bool hit = false;
      for (int rev = 0; rev < 2 && !hit; rev++) {
        uint8_t b[4];
        for (int q = 0; q < 4; q++)
          b[q] = (uint8_t)val[k + (rev ? 3 - q : q)];
        wd_addr_t a;
        wd_addr_from_v4(&a, b);
        if (!is_internal(w, &a))
          continue;
        const wd_addr_t *to = map_addr(w, &a);
        size_t s = start[k], e = end[k + 3], tl = e - s;
        char txt[16];
        uint8_t tb[4];
        if (to) {
          for (int q = 0; q < 4; q++)
            tb[q] = to->b[12 + (rev ? 3 - q : q)];
        }
        if (to && fit_v4(tb, tl, txt)) {
          for (size_t q = 0; q < tl; q++)
            tput(p, s + q, st, txt[q]);
        } else {
          for (size_t q = s; q < e; q++)
            if (tch(p, len, q, st) != '.')
              tput(p, q, st, 'x');
        }
        w->st.payload++;
        hit = true;
      }
      k += hit ? 4 : 1;
    }
    i = parts ? end[parts - 1] : i;
  }
}

static bool is_hex(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* IPv6 text of internal addresses in the text at p. */
static void scrub_v6_text(rw_t *w, uint8_t *p, size_t len, unsigned st) {
  size_t n = len / st;
  for (size_t i = 0; i < n; i++) {
    int c = tch(p, len, i, st);
    if (!is_hex(c) && c != ':')
      continue;
    size_t j = i, colons = 0;
    char txt[WD_ADDR_STRLEN];
    while (j < n && j - i < WD_ADDR_STRLEN - 1 &&
           (is_hex(c = tch(p, len, j, st)) || c == ':' || c == '.')) {
      txt[j - i] = (char)c;
      colons += c == ':';
      j++;
    }
    size_t tl = j - i;
    txt[tl] = 0;
    if (colons >= 2) {
      wd_addr_t a;
      if (wd_addr_parse(txt, &a) == WD_OK && !wd_addr_is_v4(&a) &&
          is_internal(w, &a)) {
        const wd_addr_t *to = map_addr(w, &a);
        char rep[40];
        if (to && fit_v6(to->b, tl, rep)) {
          for (size_t q = 0; q < tl; q++)
            tput(p, i + q, st, rep[q]);
        } else {
          for (size_t q = i; q < j; q++)
            if (tch(p, len, q, st) != ':')
              tput(p, q, st, 'x');
        }
        w->st.payload++;
      }
    }
    i = j;
  }
}

/* The names (facility names), ignoring case, replaced by 'x's. */
static void scrub_names(rw_t *w, uint8_t *p, size_t len, unsigned st) {
  size_t n = len / st;
  for (size_t k = 0; k < w->r->n_names; k++) {
    const char *name = w->r->names[k];
    size_t nl = name ? strlen(name) : 0;
    if (!nl || nl > n)
      continue;
    for (size_t i = 0; i + nl <= n; i++) {
      size_t q = 0;
      while (q < nl) {
        int c = tch(p, len, i + q, st);
        if (c < 0 || tolower(c) != tolower((unsigned char)name[q]))
          break;
        q++;
      }
      if (q != nl)
        continue;
      for (q = 0; q < nl; q++)
        tput(p, i + q, st, name[q] == ' ' ? ' ' : 'x');
      w->st.payload++;
      i += nl - 1;
    }
  }
}

/* The exact bytes of an internal address already mapped (seen in a
 * header), IPv4 or IPv6, inside a payload. */
static void scrub_bytes(rw_t *w, uint8_t *p, size_t len) {
  for (size_t i = 0; i + 4 <= len; i++) {
    wd_addr_t a;
    const wd_addr_t *to;
    if (i + 16 <= len) {
      wd_addr_from_v6(&a, p + i);
      if (!wd_addr_is_v4(&a) && (to = map_find(w, &a))) {
        memcpy(p + i, to->b, 16);
        w->st.payload++;
        i += 15;
        continue;
      }
    }
    wd_addr_from_v4(&a, p + i);
    if ((to = map_find(w, &a))) {
      memcpy(p + i, to->b + 12, 4);
      w->st.payload++;
      i += 3;
    }
  }
}

static void scrub_payload(rw_t *w, uint8_t *p, size_t len) {
  if (!len)
    return;
  scrub_bytes(w, p, len);
  for (unsigned st = 1; st <= 2; st++) {
    scrub_v4_text(w, p, len, st);
    scrub_v6_text(w, p, len, st);
    scrub_names(w, p, len, st);
    if (st == 2 && len > 1) { /* UTF-16 at an odd offset too */
      scrub_v4_text(w, p + 1, len - 1, st);
      scrub_v6_text(w, p + 1, len - 1, st);
      scrub_names(w, p + 1, len - 1, st);
    }
  }
}

/* ---- IP packets ---- */

static void rw_ip(rw_t *w, uint8_t *ip, size_t avail, int depth, bool *bad);

static bool icmp_error(uint8_t proto, uint8_t type) {
  if (proto == WD_PROTO_ICMP)
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  return type >= 1 && type <= 4; /* ICMPv6 */
}

/* The transport segment at l4 (len captured bytes) of protocol proto:
 * payload scrubbed, inner packets rewritten, its checksum updated for the
 * change of the pseudo-header (pseudo_old -> pseudo_new sums). */
static void rw_l4(rw_t *w, uint8_t proto, uint8_t *l4, size_t len,
                  uint32_t pseudo_old, uint32_t pseudo_new, int depth,
                  bool *bad) {
  size_t ck = SIZE_MAX, pay = 0;
  bool udp = false, pseudo = true;
  switch (proto) {
  case WD_PROTO_TCP:
    ck = 16;
    pay = len >= 13 ? (size_t)(l4[12] >> 4) * 4 : len;
    if (pay < 20)
      pay = 20;
    break;
  case WD_PROTO_UDP:
    ck = 6;
    pay = 8;
    udp = true;
    break;
  case WD_PROTO_ICMP:
    ck = 2;
    pay = 8;
    pseudo = false;
    break;
  case WD_PROTO_ICMPV6:
    ck = 2;
    pay = 8;
    break;
  case 4:  /* IPv4 in IP */
  case 41: /* IPv6 in IP */
    if (depth < DEPTH_MAX)
      rw_ip(w, l4, len, depth + 1, bad);
    else
      *bad = true;
    return;
  default:
    scrub_payload(w, l4, len);
    return;
  }
  if (pay > len)
    pay = len;
  uint8_t *snap = w->snap[depth];
  memcpy(snap, l4, len);
  bool inner = (proto == WD_PROTO_ICMP || proto == WD_PROTO_ICMPV6) &&
               len >= 1 && icmp_error(proto, l4[0]);
  if (inner && depth < DEPTH_MAX)
    rw_ip(w, l4 + pay, len - pay, depth + 1, bad);
  else
    scrub_payload(w, l4 + pay, len - pay);
  if (ck + 2 <= len) {
    uint32_t old = sum16(snap, len, ck), new = sum16(l4, len, ck);
    if (pseudo) {
      old = old + pseudo_old;
      new = new + pseudo_new;
      while (old >> 16)
        old = (old & 0xffff) + (old >> 16);
      while (new >> 16)
        new = (new & 0xffff) + (new >> 16);
    }
    csum_update(l4 + ck, old, new, udp);
  }
}

static void rw_ip(rw_t *w, uint8_t *ip, size_t avail, int depth, bool *bad) {
  if (avail < 1) {
    *bad = depth == 0;
    return;
  }
  unsigned ver = ip[0] >> 4;
  if (ver == 4) {
    size_t hl = (size_t)(ip[0] & 15) * 4;
    if (avail < 20 || hl < 20 || hl > avail) {
      if (depth == 0 || avail >= 20)
        *bad = true;
      else /* a quoted header cut short: mask what addresses there are */
        for (size_t i = 12; i + 4 <= avail && i < 20; i += 4)
          rewrite_addr(w, ip + i, 4);
      return;
    }
    size_t tot = (size_t)ip[2] << 8 | ip[3];
    if (tot >= hl && tot < avail)
      avail = tot; /* not the link layer's padding */
    uint32_t pold = sum16(ip + 12, 8, SIZE_MAX);
    rewrite_addr(w, ip + 12, 4);
    rewrite_addr(w, ip + 16, 4);
    uint32_t pnew = sum16(ip + 12, 8, SIZE_MAX);
    bool first = ((ip[6] & 0x1f) << 8 | ip[7]) == 0;
    if (first)
      rw_l4(w, ip[9], ip + hl, avail - hl, pold, pnew, depth, bad);
    else
      scrub_payload(w, ip + hl, avail - hl);
    /* the header checksum: recomputed, the header is all there */
    ip[10] = ip[11] = 0;
    uint32_t s = sum16(ip, hl, SIZE_MAX);
    uint16_t c = (uint16_t)~s;
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    return;
  }
  if (ver != 6) {
    *bad = depth == 0;
    return;
  }
  if (avail < 40) {
    if (depth == 0)
      *bad = true;
    else
      for (size_t i = 8; i + 16 <= avail && i < 40; i += 16)
        rewrite_addr(w, ip + i, 16);
    return;
  }
  size_t plen = (size_t)ip[4] << 8 | ip[5];
  if (plen && 40 + plen < avail)
    avail = 40 + plen;
  uint32_t pold = sum16(ip + 8, 32, SIZE_MAX);
  rewrite_addr(w, ip + 8, 16);
  rewrite_addr(w, ip + 24, 16);
  uint32_t pnew = sum16(ip + 8, 32, SIZE_MAX);
  /* walk the extension headers to the transport header */
  uint8_t nh = ip[6];
  size_t off = 40;
  bool first = true;
  for (int k = 0; k < 8 && first; k++) {
    if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
      if (off + 2 > avail)
        return;
      size_t l = nh == 51 ? ((size_t)ip[off + 1] + 2) * 4
                          : ((size_t)ip[off + 1] + 1) * 8;
      nh = ip[off];
      off += l;
    } else if (nh == 44) {
      if (off + 8 > avail)
        return;
      first = ((ip[off + 2] << 8 | ip[off + 3]) >> 3) == 0;
      nh = ip[off];
      off += 8;
    } else {
      break;
    }
  }
  if (off > avail)
    return;
  if (first)
    rw_l4(w, nh, ip + off, avail - off, pold, pnew, depth, bad);
  else
    scrub_payload(w, ip + off, avail - off);
}

/* Link-layer addresses of the frame. */
static void rw_link(rw_t *w, uint8_t *f, size_t len) {
  switch (w->linktype) {
  case 1: /* Ethernet */
    if (len >= 12) {
      rewrite_mac(w, f);
      rewrite_mac(w, f + 6);
    }
    break;
  case 113: /* Linux cooked: address at 6, its length at 4 */
    if (len >= 16 && f[4] == 0 && f[5] == 6)
      rewrite_mac(w, f + 6);
    break;
  case 276: /* Linux cooked v2: length at 11, address at 12 */
    if (len >= 20 && f[11] == 6)
      rewrite_mac(w, f + 12);
    break;
  default:
    break;
  }
}

/* Addresses of one frame into the seen set (first pass). */
static void collect(rw_t *w, const uint8_t *f, uint32_t caplen,
                    uint32_t wirelen) {
  wd_packet_t p;
  memset(&p, 0, sizeof p);
  wd_decode(&p, w->linktype, f, caplen, wirelen);
  if (!p.ip_version)
    return;
  seen_add(w, &p.src);
  seen_add(w, &p.dst);
}

/* ---- reading and writing ---- */

static wd_rc read_all(rw_t *w, pcap_t *pc, char *err, size_t errlen) {
  struct pcap_pkthdr *h;
  const u_char *d;
  int r;
  w->linktype = pcap_datalink(pc);
  w->snaplen = (uint32_t)pcap_snapshot(pc);
  if (!wd_decode_linktype_supported(w->linktype)) {
    snprintf(err, errlen, "link type %d is not one ward decodes", w->linktype);
    return WD_ERR_INVAL;
  }
  while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
    w->st.packets++;
    uint32_t cl = h->caplen > FRAME_MAX ? FRAME_MAX : h->caplen;
    if (w->data.len + cl > WD_EVIDENCE_REWRITE_INPUT_MAX) {
      snprintf(err, errlen, "capture larger than %u bytes",
               WD_EVIDENCE_REWRITE_INPUT_MAX);
      return WD_ERR_FULL;
    }
    if (w->n_frames == w->frames_cap) {
      size_t nc = w->frames_cap ? w->frames_cap * 2 : 256;
      frame_t *nf = realloc(w->frames, nc * sizeof *nf);
      if (!nf)
        return WD_ERR_NOMEM;
      w->frames = nf;
      w->frames_cap = nc;
    }
    if (wd_strbuf_append(&w->data, d, cl) != WD_OK)
      return WD_ERR_NOMEM; /* the cap is checked above */
    frame_t *fr = &w->frames[w->n_frames++];
    fr->ts_ns =
        (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
    fr->caplen = cl;
    fr->wirelen = h->len < cl ? cl : h->len;
    fr->off = w->data.len - cl;
  }
  /* r == -1: damaged part-way; the frames read before are kept */
  (void)err;
  (void)errlen;
  return WD_OK;
}

static uint8_t *frame_bytes(rw_t *w, const frame_t *fr) {
  return (uint8_t *)w->data.p + fr->off;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static wd_rc rewrite(rw_t *w, uint8_t **out, size_t *out_len) {
  size_t cap = 24 + w->n_frames * 16 + w->data.len;
  uint8_t *o = malloc(cap);
  if (!o)
    return WD_ERR_NOMEM;
  put32(o, 0xa1b23c4d); /* nanosecond pcap, this host's byte order */
  put16(o + 4, 2);
  put16(o + 6, 4);
  put32(o + 8, 0);
  put32(o + 12, 0);
  put32(o + 16, w->snaplen ? w->snaplen : FRAME_MAX);
  put32(o + 20, (uint32_t)w->linktype);
  size_t n = 24;
  for (size_t i = 0; i < w->n_frames; i++)
    if (w->frames[i].caplen)
      collect(w, frame_bytes(w, &w->frames[i]), w->frames[i].caplen,
              w->frames[i].wirelen);
  for (size_t i = 0; i < w->n_frames; i++) {
    frame_t *fr = &w->frames[i];
    if (!fr->caplen) { /* nothing to show, nothing to decode */
      w->st.dropped++;
      continue;
    }
    uint8_t *f = frame_bytes(w, fr);
    wd_packet_t p;
    memset(&p, 0, sizeof p);
    wd_decode(&p, w->linktype, f, fr->caplen, fr->wirelen);
    bool bad = !p.ip_version || !p.l3;
    w->full = false;
    if (!bad) {
      rw_link(w, f, fr->caplen);
      rw_ip(w, (uint8_t *)p.l3, fr->caplen - (size_t)(p.l3 - f), 0, &bad);
    }
    if (bad || w->full) {
      w->st.dropped++;
      continue;
    }
    put32(o + n, (uint32_t)(fr->ts_ns / 1000000000ull));
    put32(o + n + 4, (uint32_t)(fr->ts_ns % 1000000000ull));
    put32(o + n + 8, fr->caplen);
    put32(o + n + 12, fr->wirelen);
    memcpy(o + n + 16, f, fr->caplen);
    n += 16 + fr->caplen;
    w->st.written++;
  }
  *out = o;
  *out_len = n;
  return WD_OK;
}

static wd_rc run(pcap_t *pc, const wd_evidence_redact_t *r, uint8_t **out,
                 size_t *out_len, wd_evidence_rewrite_stats_t *st, char *err,
                 size_t errlen) {
  rw_t *w = calloc(1, sizeof *w);
  wd_rc rc = WD_ERR_NOMEM;
  if (w) {
    wd_strbuf_init(&w->data, WD_EVIDENCE_REWRITE_INPUT_MAX);
    w->seen = calloc(SEEN_SLOTS, sizeof *w->seen);
  }
  if (w && w->seen) {
    w->r = r;
    rc = read_all(w, pc, err, errlen);
    if (rc == WD_OK)
      rc = rewrite(w, out, out_len);
    if (st)
      *st = w->st;
  }
  if (w) {
    free(w->seen);
    wd_strbuf_fini(&w->data);
    free(w->frames);
  }
  free(w);
  return rc;
}

wd_rc wd_evidence_rewrite(const char *path, const wd_evidence_redact_t *r,
                          uint8_t **out, size_t *out_len,
                          wd_evidence_rewrite_stats_t *st, char *err,
                          size_t errlen) {
  char eb[PCAP_ERRBUF_SIZE] = "";
  *out = NULL;
  *out_len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open", path);
    return WD_ERR_IO;
  }
  pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
      f, PCAP_TSTAMP_PRECISION_NANO, eb);
  if (!pc) {
    fclose(f);
    snprintf(err, errlen, "%s: not a capture: %s", path, eb);
    return WD_ERR_INVAL;
  }
  wd_rc rc = run(pc, r, out, out_len, st, err, errlen);
  pcap_close(pc); /* closes f */
  return rc;
}

wd_rc wd_evidence_rewrite_buffer(const uint8_t *pcap, size_t len,
                                 const wd_evidence_redact_t *r, uint8_t **out,
                                 size_t *out_len,
                                 wd_evidence_rewrite_stats_t *st, char *err,
                                 size_t errlen) {
  char eb[PCAP_ERRBUF_SIZE] = "";
  *out = NULL;
  *out_len = 0;
  if (!len) {
    snprintf(err, errlen, "empty capture");
    return WD_ERR_INVAL;
  }
  FILE *f = fmemopen((void *)pcap, len, "rb");
  if (!f)
    return WD_ERR_NOMEM;
  pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(
      f, PCAP_TSTAMP_PRECISION_NANO, eb);
  if (!pc) {
    fclose(f);
    snprintf(err, errlen, "not a capture: %s", eb);
    return WD_ERR_INVAL;
  }
  wd_rc rc = run(pc, r, out, out_len, st, err, errlen);
  pcap_close(pc);
  return rc;
}

wd_rc wd_evidence_sha256_buffer(const uint8_t *p, size_t len, char sha256[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
    return WD_ERR_UNSUPPORTED;
  for (unsigned i = 0; i < 32; i++)
    snprintf(sha256 + 2 * i, 3, "%02x", md[i]);
  return WD_OK;
}
