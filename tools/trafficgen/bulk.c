/* bulk.c -- long one-way transfers over one TCP connection, paced to a
 * given bit rate: a DICOM store from a modality to the PACS (PS3.8:
 * A-ASSOCIATE-RQ/AC with presentation contexts for the image storage SOP
 * classes, then per image a P-DATA-TF carrying the C-STORE-RQ command
 * set, P-DATA-TF fragments of the data set, and the PACS's C-STORE-RSP;
 * A-RELEASE-RQ/RP at the end), and a TLS upload (ClientHello with SNI,
 * ServerHello, application-data records of 16 KiB from the client, now
 * and then a small record back). The receiver ACKs every second segment.
 * In: hosts, byte count, rate. Out: a TCP session actor (tcp.c) the
 * caller starts. Memory: app state in the session. */
#include <stdio.h>

#include "tg.h"

typedef struct bulk_app {
  int kind;
  int phase;
  uint64_t left;      /* bytes still to send */
  uint64_t image;     /* DICOM: data set bytes of one image */
  uint64_t in_img;    /* DICOM: bytes of the current image still to send */
  uint32_t msg_id;    /* DICOM: message ID */
  uint64_t since_ack; /* TLS upload: bytes since the server's last record */
  char sni[96];
  char inst[64]; /* DICOM: SOP instance UID of the current image */
} bulk_app_t;

enum {
  B_ASSOC,
  B_ASSOC_AC,
  B_CMD,
  B_DATA,
  B_RSP,
  B_RELEASE,
  B_RELEASE_RP,
  B_END
};
enum { U_HELLO, U_SHELLO, U_DATA, U_DONE, U_END };

static const char CT_STORE[] = "1.2.840.10008.5.1.4.1.1.2"; /* CT Image */
static const char MR_STORE[] = "1.2.840.10008.5.1.4.1.1.4"; /* MR Image */
static const char EXPLICIT_LE[] = "1.2.840.10008.1.2.1";
static const char IMPLICIT_LE[] = "1.2.840.10008.1.2";
#define DICOM_MAX_PDU 65536u

static void item(tg_buf_t *b, uint8_t type, const char *s) {
  size_t n = strlen(s);
  tg_put8(b, type);
  tg_put8(b, 0);
  tg_put16be(b, (uint16_t)n);
  tg_put(b, s, n);
}

static void ae(tg_buf_t *b, const char *s) { /* 16 bytes, space padded */
  char x[17];
  snprintf(x, sizeof x, "%-16s", s);
  tg_put(b, x, 16);
}

static bool assoc(tg_msg_t *m, bool ac) {
  tg_tcp_msg_init(m, ac ? TG_S2C : TG_C2S, ac ? 400 * TG_US : 0);
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put8(&b, ac ? 0x02 : 0x01);
  tg_put8(&b, 0);
  size_t len = b.len;
  tg_put32be(&b, 0);
  tg_put16be(&b, 0x0001); /* protocol version */
  tg_put16be(&b, 0);
  ae(&b, "PACS01");    /* called AE */
  ae(&b, "CT_WARD_1"); /* calling AE */
  tg_putz(&b, 32);
  item(&b, 0x10, "1.2.840.10008.3.1.1.1"); /* DICOM application context */
  const char *abs[2] = {CT_STORE, MR_STORE};
  for (int i = 0; i < 2; i++) {
    size_t pl = b.len + 2;
    tg_put8(&b, ac ? 0x21 : 0x20);
    tg_put8(&b, 0);
    tg_put16be(&b, 0);
    tg_put8(&b, (uint8_t)(1 + 2 * i)); /* presentation context ID: odd */
    tg_put8(&b, 0);
    tg_put8(&b, 0); /* result (AC): acceptance */
    tg_put8(&b, 0);
    if (!ac)
      item(&b, 0x30, abs[i]);
    item(&b, 0x40, EXPLICIT_LE);
    if (!ac)
      item(&b, 0x40, IMPLICIT_LE);
    uint16_t n = (uint16_t)(b.len - pl - 2);
    b.p[pl] = (uint8_t)(n >> 8);
    b.p[pl + 1] = (uint8_t)n;
  }
  size_t ui = b.len + 2;
  tg_put8(&b, 0x50); /* user information */
  tg_put8(&b, 0);
  tg_put16be(&b, 0);
  tg_put8(&b, 0x51); /* maximum length */
  tg_put8(&b, 0);
  tg_put16be(&b, 4);
  tg_put32be(&b, DICOM_MAX_PDU);
  item(&b, 0x52, "2.25.80302813215475914873452368712904421367");
  item(&b, 0x55, "WARD_TG_1");
  uint16_t un = (uint16_t)(b.len - ui - 2);
  b.p[ui] = (uint8_t)(un >> 8);
  b.p[ui + 1] = (uint8_t)un;
  uint32_t pdu = (uint32_t)(b.len - len - 4);
  for (int i = 0; i < 4; i++)
    b.p[len + i] = (uint8_t)(pdu >> (24 - 8 * i));
  tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
  return !b.over;
}

/* An element of a command set, implicit VR little endian (PS3.5 7.1.2). */
static void el(tg_buf_t *b, uint16_t e, const void *v, uint32_t n) {
  tg_put16le(b, 0x0000);
  tg_put16le(b, e);
  tg_put32le(b, n);
  tg_put(b, v, n);
}
static void el_us(tg_buf_t *b, uint16_t e, uint16_t v) {
  uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  el(b, e, x, 2);
}
static void el_ui(tg_buf_t *b, uint16_t e, const char *s) {
  char x[80];
  size_t n = strlen(s);
  memcpy(x, s, n);
  if (n % 2)
    x[n++] = 0; /* UIDs are padded to even length with NUL */
  el(b, e, x, (uint32_t)n);
}

/* A P-DATA-TF with one command PDV: C-STORE-RQ or its response. */
static bool store_cmd(tg_msg_t *m, bulk_app_t *a, bool rsp) {
  tg_tcp_msg_init(m, rsp ? TG_S2C : TG_C2S, rsp ? 300 * TG_US : 150 * TG_US);
  tg_buf_t b = tg_tcp_msg_buf(m);
  uint8_t cs[256];
  tg_buf_t c;
  tg_buf_init(&c, cs, sizeof cs);
  tg_buf_t g;
  uint8_t gs[240];
  tg_buf_init(&g, gs, sizeof gs);
  el_ui(&g, 0x0002, CT_STORE);
  el_us(&g, 0x0100, rsp ? 0x8001 : 0x0001); /* C-STORE-RQ / -RSP */
  if (rsp)
    el_us(&g, 0x0120, (uint16_t)a->msg_id);
  else
    el_us(&g, 0x0110, (uint16_t)a->msg_id);
  if (!rsp)
    el_us(&g, 0x0700, 0x0000);              /* priority medium */
  el_us(&g, 0x0800, rsp ? 0x0101 : 0x0000); /* data set: none / present */
  if (rsp)
    el_us(&g, 0x0900, 0x0000); /* status: success */
  el_ui(&g, 0x1000, a->inst);
  uint8_t gl[4] = {(uint8_t)g.len, (uint8_t)(g.len >> 8), 0, 0};
  el(&c, 0x0000, gl, 4); /* command group length */
  tg_put(&c, gs, g.len);
  tg_put8(&b, 0x04);
  tg_put8(&b, 0);
  tg_put32be(&b, (uint32_t)(c.len + 6));
  tg_put32be(&b, (uint32_t)(c.len + 2)); /* PDV item length */
  tg_put8(&b, 1);                        /* presentation context */
  tg_put8(&b, 0x03);                     /* command, last fragment */
  tg_put(&b, cs, c.len);
  tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
  return !b.over && !c.over;
}

static bool dicom_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  bulk_app_t *a = (bulk_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  switch (a->phase) {
  case B_ASSOC:
    a->phase = B_ASSOC_AC;
    return assoc(m, false);
  case B_ASSOC_AC:
    a->phase = B_CMD;
    return assoc(m, true);
  case B_CMD: {
    if (a->left == 0) {
      a->phase = B_RELEASE;
      return dicom_next(g, s, m);
    }
    a->msg_id++;
    snprintf(a->inst, sizeof a->inst, "2.25.%llu%u",
             (unsigned long long)(tg_rng_next(r) >> 4), (unsigned)a->msg_id);
    uint64_t img = a->image / 2 + tg_rng_below(r, (uint32_t)a->image);
    a->in_img = img < a->left ? img : a->left;
    a->left -= a->in_img;
    a->phase = B_DATA;
    return store_cmd(m, a, false);
  }
  case B_DATA: { /* a data set fragment */
    uint32_t max = DICOM_MAX_PDU - 6;
    uint32_t n = a->in_img > max ? max : (uint32_t)a->in_img;
    a->in_img -= n;
    bool last = a->in_img == 0;
    tg_tcp_msg_init(m, TG_C2S, 0);
    tg_buf_t b = tg_tcp_msg_buf(m);
    tg_put8(&b, 0x04);
    tg_put8(&b, 0);
    tg_put32be(&b, n + 6);
    tg_put32be(&b, n + 2);
    tg_put8(&b, 1);
    tg_put8(&b, last ? 0x02 : 0x00); /* data, last fragment or not */
    tg_tcp_msg_done(m, &b, n, TG_FILL_RAND);
    if (last)
      a->phase = B_RSP;
    return true;
  }
  case B_RSP:
    a->phase = B_CMD;
    return store_cmd(m, a, true);
  case B_RELEASE:
  case B_RELEASE_RP: {
    bool rp = a->phase == B_RELEASE_RP;
    a->phase++;
    tg_tcp_msg_init(m, rp ? TG_S2C : TG_C2S, rp ? 200 * TG_US : TG_MS);
    tg_buf_t b = tg_tcp_msg_buf(m);
    tg_put8(&b, rp ? 0x06 : 0x05);
    tg_put8(&b, 0);
    tg_put32be(&b, 4);
    tg_put32be(&b, 0);
    tg_tcp_msg_done(m, &b, 0, TG_FILL_ZERO);
    return true;
  }
  default:
    return false;
  }
}

static bool upload_next(tg_gen_t *g, tg_tcp_t *s, tg_msg_t *m) {
  (void)g;
  bulk_app_t *a = (bulk_app_t *)s->app;
  tg_rng_t *r = &s->a.rng;
  switch (a->phase) {
  case U_HELLO:
    a->phase = U_SHELLO;
    return tg_apps_tls_client_hello(m, a->sni, r);
  case U_SHELLO:
    a->phase = U_DATA;
    return tg_apps_tls_server_hello(m, r, 2 * TG_MS);
  case U_DATA: {
    if (a->left == 0) {
      a->phase = U_DONE;
      return tg_apps_tls_record(m, TG_S2C, 180, 20 * TG_MS);
    }
    if (a->since_ack >= (8u << 20)) { /* the server's periodic answer */
      a->since_ack = 0;
      return tg_apps_tls_record(m, TG_S2C, (uint32_t)tg_rng_range(r, 40, 120),
                                TG_MS);
    }
    uint32_t n = a->left > 16384 ? 16384 : (uint32_t)a->left;
    a->left -= n;
    a->since_ack += n;
    return tg_apps_tls_record(m, TG_C2S, n + 17, 0);
  }
  case U_DONE: /* close_notify */
    a->phase = U_END;
    return tg_apps_tls_record(m, TG_C2S, 19, 5 * TG_MS);
  default:
    return false;
  }
}

tg_tcp_t *tg_bulk_session(tg_gen_t *g, tg_rng_t *r, int kind,
                          const tg_host_t *client, const tg_host_t *server,
                          int family, uint16_t port, uint64_t bytes,
                          double mbps, const char *sni) {
  tg_tcp_t *s = tg_tcp_new(g, sizeof(bulk_app_t), r);
  if (!s)
    return NULL;
  tg_tcp_ends(s, client, server, family, port);
  bulk_app_t *a = (bulk_app_t *)s->app;
  a->kind = kind;
  a->left = bytes;
  if (kind == TG_BULK_DICOM) {
    s->next = dicom_next;
    a->image = 512 * 1024; /* CT slices of about half a megabyte */
  } else {
    s->next = upload_next;
    snprintf(a->sni, sizeof a->sni, "%s", sni ? sni : "upload.example.net");
  }
  if (mbps > 0) /* pace full segments to the rate asked */
    s->gap_ns = (uint64_t)((double)(s->mss + 40) * 8 * 1000 / mbps);
  s->close = TG_CLOSE_FIN_C;
  s->close_think_ns = 5 * TG_MS;
  return s;
}
