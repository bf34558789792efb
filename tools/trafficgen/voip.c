/* voip.c -- telephone calls: SIP over UDP 5060 (RFC 3261: INVITE with an
 * SDP offer, 100 Trying, 180 Ringing, 200 OK with the answer, ACK; BYE and
 * 200 OK at the end) between a softphone and the hospital's telephony
 * server, and RTP (RFC 3550) in both directions at 50 packets per second:
 * G.711 mu-law, 160 bytes of payload every 20 ms, with an RTCP sender
 * report every 5 s on the next port. A call to an outside number adds a
 * second leg, telephony server <-> the carrier's SIP trunk, with its own
 * RTP. A call already in progress when the capture starts has no SIP:
 * its RTP simply runs.
 * In: hosts, duration. Out: UDP packets from a call actor stepping every
 * 20 ms. Memory: the actor. */
#include <stdio.h>
#include <stdlib.h>

#include "tg.h"

typedef struct leg {
  tg_l3_t a2b, b2a;
  const tg_host_t *a, *b;
  uint16_t pa, pb; /* RTP ports (RTCP + 1) */
  uint32_t ssrc[2];
  uint16_t seq[2];
  uint32_t ts[2];
  uint32_t count[2];
  char call_id[48];
} leg_t;

typedef struct call {
  tg_actor_t a;
  tg_host_t phone, pbx, trunk;
  leg_t leg[2];
  int nlegs;
  int phase; /* 0 SIP setup, 1 media, 2 BYE */
  uint64_t end;
  uint64_t talk_ns; /* how long the call lasts once answered */
  uint64_t next_rtcp;
  uint32_t ext; /* dialled extension */
  tg_tag_t tag;
  int cls;
} call_t;

static void sip(tg_gen_t *g, call_t *c, const leg_t *l, bool from_a, uint64_t t,
                const char *first, const char *method, int cseq, bool sdp) {
  const tg_host_t *src = from_a ? l->a : l->b;
  char sa[WD_ADDR_STRLEN], body[512], msg[1400];
  wd_addr_str(&src->a4, sa);
  int bl = 0;
  if (sdp)
    bl = snprintf(body, sizeof body,
                  "v=0\r\no=- %u %u IN IP4 %s\r\ns=call\r\nc=IN IP4 %s\r\n"
                  "t=0 0\r\nm=audio %u RTP/AVP 0 8 101\r\n"
                  "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
                  "a=ptime:20\r\na=sendrecv\r\n",
                  (unsigned)l->ssrc[0], (unsigned)cseq, sa, sa,
                  (unsigned)(from_a ? l->pa : l->pb));
  int n = snprintf(
      msg, sizeof msg,
      "%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%08x%s\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:%u@pbx.hospital.example>;tag=%08x\r\n"
      "To: <sip:%u@pbx.hospital.example>%s\r\nCall-ID: %s\r\n"
      "CSeq: %d %s\r\nContact: <sip:%u@%s:5060>\r\n"
      "User-Agent: ward-lab-phone/3.2\r\n%sContent-Length: %d\r\n\r\n%s",
      first, sa, (unsigned)(l->ssrc[0] ^ (uint32_t)cseq ^ (from_a ? 0 : 7)),
      from_a ? ";rport" : "", 1000 + (unsigned)(c->phone.index % 9000),
      (unsigned)l->ssrc[1], (unsigned)c->ext,
      strncmp(first, "SIP/2.0", 7) == 0 ? ";tag=as5f1c0b2e" : "", l->call_id,
      cseq, method,
      from_a ? 1000 + (unsigned)(c->phone.index % 9000) : (unsigned)c->ext, sa,
      sdp ? "Content-Type: application/sdp\r\n" : "", bl, sdp ? body : "");
  if (n <= 0 || (size_t)n >= sizeof msg)
    return;
  tg_l3_t l3 = from_a ? l->a2b : l->b2a;
  l3.ipid = (uint16_t)(l3.ipid + (uint16_t)cseq * 3u + (from_a ? 0u : 1u));
  tg_pkt_udp(g, t, 0, c->tag, &l3, 5060, 5060, (const uint8_t *)msg, (size_t)n);
  c->a.packets++;
}

static void rtp(tg_gen_t *g, call_t *c, leg_t *l, int d, uint64_t t,
                bool marker) {
  uint8_t p[12 + 160];
  p[0] = 0x80;
  p[1] = (uint8_t)(marker ? 0x80 : 0x00); /* PT 0: PCMU */
  p[2] = (uint8_t)(l->seq[d] >> 8);
  p[3] = (uint8_t)l->seq[d];
  for (int i = 0; i < 4; i++) {
    p[4 + i] = (uint8_t)(l->ts[d] >> (24 - 8 * i));
    p[8 + i] = (uint8_t)(l->ssrc[d] >> (24 - 8 * i));
  }
  /* mu-law samples: speech, or near-silence (0xff / 0x7f) between words */
  uint32_t off = (l->seq[d] * 160u + l->ssrc[d]) & (TG_FILL_SIZE - 161);
  bool talk = (l->seq[d] / 64 + (unsigned)d) % 3 != 0;
  for (int i = 0; i < 160; i++)
    p[12 + i] = talk ? g->fill_rand[off + (uint32_t)i]
                     : (uint8_t)(0xfe | (g->fill_rand[off + (uint32_t)i] & 1));
  l->seq[d]++;
  l->ts[d] += 160;
  l->count[d]++;
  tg_l3_t *l3 = d == 0 ? &l->a2b : &l->b2a;
  l3->ipid++;
  tg_pkt_udp(g, t, 0, c->tag, l3, d == 0 ? l->pa : l->pb,
             d == 0 ? l->pb : l->pa, p, sizeof p);
  c->a.packets++;
}

static void rtcp(tg_gen_t *g, call_t *c, leg_t *l, int d, uint64_t t) {
  uint8_t p[80];
  tg_buf_t b;
  tg_buf_init(&b, p, sizeof p);
  /* SR with one report block (RFC 3550 6.4.1) */
  tg_put8(&b, 0x81);
  tg_put8(&b, 200);
  tg_put16be(&b, 12);
  tg_put32be(&b, l->ssrc[d]);
  uint64_t sec = t / TG_NS + 2208988800ULL;
  tg_put32be(&b, (uint32_t)sec);
  tg_put32be(&b, (uint32_t)(((t % TG_NS) << 32) / TG_NS));
  tg_put32be(&b, l->ts[d]);
  tg_put32be(&b, l->count[d]);
  tg_put32be(&b, l->count[d] * 160);
  tg_put32be(&b, l->ssrc[!d]);
  tg_put32be(&b, 0); /* fraction lost, cumulative lost */
  tg_put32be(&b, 0x00010000u | l->seq[!d]);
  tg_put32be(&b, (uint32_t)(t / TG_US) % 400); /* jitter */
  tg_put32be(&b, (uint32_t)(sec << 16));
  tg_put32be(&b, 0x00004000);
  /* SDES CNAME */
  tg_put8(&b, 0x81);
  tg_put8(&b, 202);
  tg_put16be(&b, 5);
  tg_put32be(&b, l->ssrc[d]);
  tg_put8(&b, 1);
  tg_put8(&b, 10);
  tg_putstr(&b, "phone@ward");
  tg_putz(&b, 2);
  tg_l3_t *l3 = d == 0 ? &l->a2b : &l->b2a;
  l3->ipid++;
  tg_pkt_udp(g, t, 0, c->tag, l3, (uint16_t)((d == 0 ? l->pa : l->pb) + 1),
             (uint16_t)((d == 0 ? l->pb : l->pa) + 1), p, b.len);
  c->a.packets++;
}

static bool call_step(tg_gen_t *g, tg_actor_t *a) {
  call_t *c = (call_t *)a;
  tg_rng_t *r = &a->rng;
  uint64_t t = a->t;
  if (c->phase == 0) { /* SIP: the phone calls, the far end answers */
    for (int i = 0; i < c->nlegs; i++) {
      leg_t *l = &c->leg[i];
      uint64_t ti = t + (uint64_t)i * 30 * TG_MS;
      char ruri[96];
      snprintf(ruri, sizeof ruri, "INVITE sip:%u@pbx.hospital.example SIP/2.0",
               (unsigned)c->ext);
      sip(g, c, l, true, ti, ruri, "INVITE", 1, true);
      uint64_t rt = 2ULL * l->b->delay_ns;
      sip(g, c, l, false, ti + rt + 2 * TG_MS, "SIP/2.0 100 Trying", "INVITE",
          1, false);
      sip(g, c, l, false, ti + rt + 40 * TG_MS, "SIP/2.0 180 Ringing", "INVITE",
          1, false);
    }
    c->phase = 3; /* ringing */
    a->t = t + tg_rng_range(r, 2000, 9000) * TG_MS;
    return true;
  }
  if (c->phase == 3) { /* answered: 200 OK with SDP, ACK */
    for (int i = 0; i < c->nlegs; i++) {
      leg_t *l = &c->leg[i];
      sip(g, c, l, false, t, "SIP/2.0 200 OK", "INVITE", 1, true);
      char ack[96];
      snprintf(ack, sizeof ack, "ACK sip:%u@pbx.hospital.example SIP/2.0",
               (unsigned)c->ext);
      sip(g, c, l, true, t + 2ULL * l->a->delay_ns + TG_MS, ack, "ACK", 1,
          false);
    }
    c->phase = 1;
    c->next_rtcp = t + 5 * TG_NS;
    c->end = t + c->talk_ns;
    a->t = t + 20 * TG_MS;
    return true;
  }
  if (c->phase == 1) {
    bool first = c->leg[0].count[0] == 0;
    for (int i = 0; i < c->nlegs; i++) {
      leg_t *l = &c->leg[i];
      /* each end sends every 20 ms; the tap sees a little jitter */
      rtp(g, c, l, 0, t + tg_rng_below(r, 600) * TG_US, first);
      rtp(g, c, l, 1,
          t + 2ULL * l->b->delay_ns + 3 * TG_MS + tg_rng_below(r, 600) * TG_US,
          first);
      if (t >= c->next_rtcp) {
        rtcp(g, c, l, 0, t + 5 * TG_MS);
        rtcp(g, c, l, 1, t + 11 * TG_MS);
      }
    }
    if (t >= c->next_rtcp)
      c->next_rtcp = t + 5 * TG_NS;
    a->t = t + 20 * TG_MS;
    if (a->t >= c->end)
      c->phase = 2;
    return true;
  }
  /* hang up: BYE, 200 OK */
  for (int i = 0; i < c->nlegs; i++) {
    leg_t *l = &c->leg[i];
    char bye[96];
    snprintf(bye, sizeof bye, "BYE sip:%u@pbx.hospital.example SIP/2.0",
             (unsigned)c->ext);
    sip(g, c, l, true, t, bye, "BYE", 2, false);
    sip(g, c, l, false, t + 2ULL * l->b->delay_ns + TG_MS, "SIP/2.0 200 OK",
        "BYE", 2, false);
  }
  return false;
}

static void call_fini(tg_gen_t *g, tg_actor_t *a) {
  call_t *c = (call_t *)a;
  if (c->cls >= 0) {
    tg_benign_session_done(g, c->cls, a->packets);
    if (g->live_sessions)
      g->live_sessions--;
  }
}

static void leg_init(leg_t *l, const tg_host_t *a, const tg_host_t *b,
                     tg_rng_t *r) {
  l->a = a;
  l->b = b;
  tg_pkt_l3_from_hosts(&l->a2b, a, b, 4);
  tg_pkt_l3_from_hosts(&l->b2a, b, a, 4);
  l->a2b.df = l->b2a.df = false;
  l->a2b.ipid = (uint16_t)tg_rng_next(r);
  l->b2a.ipid = (uint16_t)tg_rng_next(r);
  l->pa = (uint16_t)(2 * tg_rng_range(r, 8000, 16000)); /* even ports */
  l->pb = (uint16_t)(2 * tg_rng_range(r, 5000, 10000));
  for (int d = 0; d < 2; d++) {
    l->ssrc[d] = (uint32_t)tg_rng_next(r);
    l->seq[d] = (uint16_t)tg_rng_next(r);
    l->ts[d] = (uint32_t)tg_rng_next(r);
  }
  unsigned id0 = (unsigned)tg_rng_next(r), id1 = (unsigned)tg_rng_next(r);
  snprintf(l->call_id, sizeof l->call_id, "%08x%08x@hospital.example", id0,
           id1);
}

int tg_voip_call(tg_gen_t *g, tg_rng_t *r, uint64_t t, tg_tag_t tag,
                 const tg_host_t *phone, const tg_host_t *trunk,
                 uint64_t duration_ns, bool in_progress, int cls) {
  call_t *c = calloc(1, sizeof *c);
  if (!c)
    return -1;
  c->a.step = call_step;
  c->a.fini = call_fini;
  c->a.cls = -1;
  tg_rng_fork(r, &c->a.rng);
  tg_rng_t *cr = &c->a.rng;
  c->phone = *phone;
  c->pbx = g->net.servers[TG_SRV_PBX];
  c->nlegs = 1;
  leg_init(&c->leg[0], &c->phone, &c->pbx, cr);
  if (trunk) {
    c->trunk = *trunk;
    leg_init(&c->leg[1], &c->pbx, &c->trunk, cr);
    c->nlegs = 2;
  }
  c->ext = trunk ? 900000000u + (uint32_t)tg_rng_below(cr, 99999999)
                 : 2000u + (uint32_t)tg_rng_below(cr, 7000);
  c->tag = tag;
  c->cls = cls;
  c->phase = in_progress ? 1 : 0;
  c->next_rtcp = t + tg_rng_below(cr, 5000) * TG_MS;
  c->end = t + duration_ns;
  c->talk_ns = duration_ns;
  if (cls >= 0) {
    g->live_sessions++;
    g->cls[cls].sessions++;
  }
  tg_sched_add(g, &c->a, t);
  return 0;
}
