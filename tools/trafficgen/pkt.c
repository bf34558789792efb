/* pkt.c -- builds trafficgen's frames: link header (Ethernet with optional
 * 802.1Q/QinQ tags, Linux SLL and SLL2, raw IP, BSD null), IPv4 or IPv6,
 * and TCP, UDP, ICMP/ICMPv6 or a raw protocol, with real IPv4 header,
 * TCP, UDP and ICMP checksums. UDP datagrams larger than the MTU leave as
 * IP fragments, as a reflector's big DNS or CLDAP answer does.
 * In: addresses, ports, payload (borrowed). Out: frames queued through
 * tg_sched_push (copied there). Scratch space lives in tg_gen_t. */
#include <pcap/dlt.h>

#include "tg.h"

static uint32_t sum_native(const uint8_t *p, size_t n) {
  uint64_t acc = 0;
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    acc += (v & 0xffffffffu) + (v >> 32);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    acc += v;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint8_t b[2] = {p[0], 0};
    uint16_t v;
    memcpy(&v, b, 2);
    acc += v;
  }
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  uint16_t r = (uint16_t)acc;
  uint8_t x[2];
  memcpy(x, &r, 2); /* the sum in network byte order, whatever the CPU */
  return ((uint32_t)x[0] << 8) | x[1];
}

uint16_t tg_pkt_csum(const uint8_t *p, size_t n, uint32_t init) {
  uint32_t s = init + sum_native(p, n);
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static uint32_t pseudo_sum(const wd_addr_t *src, const wd_addr_t *dst,
                           uint8_t proto, uint32_t len) {
  uint32_t s = 0;
  if (wd_addr_is_v4(src)) {
    s += sum_native(src->b + 12, 4) + sum_native(dst->b + 12, 4);
    s += proto + len;
  } else {
    s += sum_native(src->b, 16) + sum_native(dst->b, 16);
    s += (len >> 16) + (len & 0xffff) + proto;
  }
  return s;
}

static void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

void tg_pkt_l3_from_hosts(tg_l3_t *l3, const tg_host_t *src,
                          const tg_host_t *dst, int family) {
  bool v6 = family == 6;
  l3->src = v6 ? &src->a6 : &src->a4;
  l3->dst = v6 ? &dst->a6 : &dst->a4;
  l3->smac = src->mac;
  l3->dmac = dst->mac;
  l3->ttl = src->ttl;
  l3->ipid = 0;
  l3->df = true;
  l3->src_internal = src->internal;
}

/* Link header for an IP packet of the given version into out. */
static size_t link_hdr(const tg_gen_t *g, uint8_t *out, const tg_l3_t *l3,
                       bool v6) {
  uint16_t et = v6 ? 0x86dd : 0x0800;
  size_t n = 0;
  switch (g->dlt) {
  case DLT_EN10MB:
    memcpy(out, l3->dmac, 6);
    memcpy(out + 6, l3->smac, 6);
    n = 12;
    if (g->nvlan == 2) {
      wr16(out + n, 0x88a8); /* 802.1ad service tag, outer */
      wr16(out + n + 2, g->vlan[0]);
      n += 4;
      wr16(out + n, 0x8100);
      wr16(out + n + 2, g->vlan[1]);
      n += 4;
    } else if (g->nvlan == 1) {
      wr16(out + n, 0x8100);
      wr16(out + n + 2, g->vlan[0]);
      n += 4;
    }
    wr16(out + n, et);
    return n + 2;
  case DLT_LINUX_SLL:
    wr16(out, l3->src_internal ? 4 : 0); /* outgoing / to us */
    wr16(out + 2, 1);                    /* ARPHRD_ETHER */
    wr16(out + 4, 6);
    memcpy(out + 6, l3->smac, 6);
    wr16(out + 12, 0);
    wr16(out + 14, et);
    return 16;
  case DLT_LINUX_SLL2:
    wr16(out, et);
    wr16(out + 2, 0);
    wr32(out + 4, 2); /* interface index */
    wr16(out + 8, 1); /* ARPHRD_ETHER */
    out[10] = l3->src_internal ? 4 : 0;
    out[11] = 6;
    memcpy(out + 12, l3->smac, 6);
    out[18] = out[19] = 0;
    return 20;
  case DLT_NULL: {
    /* host byte order, like the writer's pcap header; 24 = BSD AF_INET6,
     * which every reader accepts */
    uint32_t af = v6 ? 24 : 2;
    memcpy(out, &af, 4);
    return 4;
  }
  default: /* DLT_RAW */
    return 0;
  }
}

static void emit(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
                 const uint8_t *ip, size_t iplen) {
  bool v6 = (ip[0] >> 4) == 6;
  size_t h = link_hdr(g, g->frame, l3, v6);
  if (h + iplen > sizeof g->frame)
    iplen = sizeof g->frame - h;
  memcpy(g->frame + h, ip, iplen);
  size_t len = h + iplen;
  if (g->dlt == DLT_EN10MB && len < 60) { /* Ethernet minimum, padded */
    memset(g->frame + len, 0, 60 - len);
    len = 60;
  }
  tg_sched_push(g, ts, tag, g->frame, len);
}

/* IP header into p for a payload of plen bytes; returns header length. */
static size_t ip_hdr(uint8_t *p, const tg_l3_t *l3, uint8_t proto, size_t plen,
                     uint16_t frag_field) {
  if (wd_addr_is_v4(l3->src)) {
    p[0] = 0x45;
    p[1] = 0;
    wr16(p + 2, (uint16_t)(20 + plen));
    wr16(p + 4, l3->ipid);
    wr16(p + 6, frag_field | (l3->df && !frag_field ? 0x4000 : 0));
    p[8] = l3->ttl;
    p[9] = proto;
    wr16(p + 10, 0);
    memcpy(p + 12, l3->src->b + 12, 4);
    memcpy(p + 16, l3->dst->b + 12, 4);
    wr16(p + 10, tg_pkt_csum(p, 20, 0));
    return 20;
  }
  wr32(p, 0x60000000u);
  wr16(p + 4, (uint16_t)plen);
  p[6] = proto;
  p[7] = l3->ttl;
  memcpy(p + 8, l3->src->b, 16);
  memcpy(p + 24, l3->dst->b, 16);
  return 40;
}

void tg_pkt_tcp(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
                uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, uint16_t win, const uint8_t *opt, size_t optlen,
                const uint8_t *pl, size_t plen) {
  uint8_t pkt[TG_MTU + 128];
  bool v4 = wd_addr_is_v4(l3->src);
  size_t iph = v4 ? 20 : 40;
  optlen &= ~(size_t)3;
  if (optlen > 40)
    optlen = 40;
  size_t th = 20 + optlen;
  if (iph + th + plen > TG_MTU)
    plen = TG_MTU - iph - th;
  uint8_t *t = pkt + iph;
  wr16(t, sport);
  wr16(t + 2, dport);
  wr32(t + 4, seq);
  wr32(t + 8, ack);
  t[12] = (uint8_t)((th / 4) << 4);
  t[13] = flags;
  wr16(t + 14, win);
  wr16(t + 16, 0);
  wr16(t + 18, 0);
  if (optlen)
    memcpy(t + 20, opt, optlen);
  if (plen)
    memcpy(t + th, pl, plen);
  uint32_t tl = (uint32_t)(th + plen);
  wr16(t + 16, tg_pkt_csum(t, tl, pseudo_sum(l3->src, l3->dst, 6, tl)));
  ip_hdr(pkt, l3, 6, tl, 0);
  emit(g, ts, tag, l3, pkt, iph + tl);
}

int tg_pkt_udp(tg_gen_t *g, uint64_t ts, uint64_t frag_gap_ns, tg_tag_t tag,
               const tg_l3_t *l3, uint16_t sport, uint16_t dport,
               const uint8_t *pl, size_t plen) {
  return tg_pkt_udp_ex(g, ts, frag_gap_ns, tag, l3, sport, dport, pl, plen, 0);
}

int tg_pkt_udp_ex(tg_gen_t *g, uint64_t ts, uint64_t frag_gap_ns, tg_tag_t tag,
                  const tg_l3_t *l3, uint16_t sport, uint16_t dport,
                  const uint8_t *pl, size_t plen, unsigned flags) {
  bool v4 = wd_addr_is_v4(l3->src);
  size_t iph = v4 ? 20 : 40;
  if (plen > TG_L4_MAX - 8)
    plen = TG_L4_MAX - 8;
  if (plen > 65507)
    plen = 65507;
  uint8_t *u = g->l4;
  uint32_t ul = (uint32_t)(8 + plen);
  wr16(u, sport);
  wr16(u + 2, dport);
  wr16(u + 4, (uint16_t)ul);
  wr16(u + 6, 0);
  if (plen && pl != u + 8)
    memmove(u + 8, pl, plen);
  uint16_t c = tg_pkt_csum(u, ul, pseudo_sum(l3->src, l3->dst, 17, ul));
  wr16(u + 6, c ? c : 0xffff);

  uint8_t pkt[TG_MTU + 64];
  if (iph + ul <= TG_MTU) {
    ip_hdr(pkt, l3, 17, ul, 0);
    memcpy(pkt + iph, u, ul);
    emit(g, ts, tag, l3, pkt, iph + ul);
    return 1;
  }
  /* Fragments: each carries a multiple of 8 bytes but the last. */
  tg_l3_t f = *l3;
  f.df = false;
  size_t per = v4 ? ((TG_MTU - 20) & ~(size_t)7) : ((TG_MTU - 48) & ~(size_t)7);
  uint32_t id6 = ((uint32_t)l3->ipid << 16) ^ sport ^ ((uint32_t)dport << 5);
  int n = 0, queued = 0;
  for (size_t off = 0; off < ul; off += per, n++) {
    size_t k = ul - off < per ? ul - off : per;
    bool more = off + k < ul;
    if (off == 0 && (flags & TG_UDP_NO_FIRST))
      continue; /* the first fragment was lost or filtered upstream */
    queued++;
    if (v4) {
      uint16_t ff = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
      ip_hdr(pkt, &f, 17, k, ff);
      memcpy(pkt + 20, u + off, k);
      emit(g, ts + (uint64_t)n * frag_gap_ns, tag, &f, pkt, 20 + k);
    } else {
      ip_hdr(pkt, &f, 44, k + 8, 0);
      uint8_t *fh = pkt + 40;
      fh[0] = 17;
      fh[1] = 0;
      wr16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
      wr32(fh + 4, id6);
      memcpy(pkt + 48, u + off, k);
      emit(g, ts + (uint64_t)n * frag_gap_ns, tag, &f, pkt, 48 + k);
    }
  }
  return queued;
}

void tg_pkt_icmp(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
                 uint8_t type, uint8_t code, uint32_t rest, const uint8_t *pl,
                 size_t plen) {
  uint8_t pkt[TG_MTU + 64];
  bool v4 = wd_addr_is_v4(l3->src);
  size_t iph = v4 ? 20 : 40;
  if (iph + 8 + plen > TG_MTU)
    plen = TG_MTU - iph - 8;
  uint8_t *c = pkt + iph;
  c[0] = type;
  c[1] = code;
  wr16(c + 2, 0);
  wr32(c + 4, rest);
  if (plen)
    memcpy(c + 8, pl, plen);
  uint32_t cl = (uint32_t)(8 + plen);
  uint32_t init = v4 ? 0 : pseudo_sum(l3->src, l3->dst, 58, cl);
  wr16(c + 2, tg_pkt_csum(c, cl, init));
  ip_hdr(pkt, l3, v4 ? 1 : 58, cl, 0);
  emit(g, ts, tag, l3, pkt, iph + cl);
}

void tg_pkt_ip(tg_gen_t *g, uint64_t ts, tg_tag_t tag, const tg_l3_t *l3,
               uint8_t proto, const uint8_t *pl, size_t plen) {
  uint8_t pkt[TG_MTU + 64];
  size_t iph = wd_addr_is_v4(l3->src) ? 20 : 40;
  if (iph + plen > TG_MTU)
    plen = TG_MTU - iph;
  memcpy(pkt + iph, pl, plen);
  ip_hdr(pkt, l3, proto, plen, 0);
  emit(g, ts, tag, l3, pkt, iph + plen);
}

size_t tg_pkt_ipv4_udp_bytes(uint8_t *out, size_t cap, const wd_addr_t *src,
                             const wd_addr_t *dst, uint8_t ttl, uint16_t ipid,
                             uint16_t sport, uint16_t dport, const uint8_t *pl,
                             size_t plen) {
  if (cap < 28)
    return 0;
  if (plen > cap - 28)
    plen = cap - 28;
  tg_l3_t l3 = {src, dst, NULL, NULL, ttl, ipid, false, false};
  uint8_t *u = out + 20;
  uint32_t ul = (uint32_t)(8 + plen);
  wr16(u, sport);
  wr16(u + 2, dport);
  wr16(u + 4, (uint16_t)ul);
  wr16(u + 6, 0);
  if (plen)
    memcpy(u + 8, pl, plen);
  uint16_t c = tg_pkt_csum(u, ul, pseudo_sum(src, dst, 17, ul));
  wr16(u + 6, c ? c : 0xffff);
  ip_hdr(out, &l3, 17, ul, 0);
  return 20 + ul;
}
