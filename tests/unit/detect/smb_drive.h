/* smb_drive.h -- drives an SMB detector with handcrafted connections for
 * the detector tests: messages built with proto/smb_build.h go through the
 * real SMB parser (proto/smb.h) and reach the detector's on_smb hook with a
 * fake flow; alerts are recorded (strings copied). */
#ifndef WD_TESTS_SMB_DRIVE_H
#define WD_TESTS_SMB_DRIVE_H

#include <stdio.h>
#include <string.h>

#include "det_config.h"
#include "detect/detector.h"
#include "proto/smb.h"
#include "proto/smb_build.h"

#define DRV_ALERTS 32
#define DRV_NSEC 1000000000ull
#define DRV_T0 (1700000000ull * DRV_NSEC)

typedef struct drv_alert {
  wd_alert_t a;
  char metric[WD_ALERT_METRICS_MAX][64]; /* value as text */
  char signature[160], rsit_class[40], rsit_type[40];
} drv_alert;

typedef struct drv {
  const wd_detector_ops_t *ops;
  void *state;
  wd_config_t cfg;
  wd_memcap_t mc;
  wd_alert_sink_t sink;
  wd_detect_ctx_t ctx;
  drv_alert al[DRV_ALERTS];
  unsigned n;
} drv;

typedef struct drv_conn {
  drv *d;
  wd_flow_t f;
  wd_smb_conn_t smb;
  uint64_t now;
} drv_conn;

static inline void drv_emit(void *user, const wd_alert_t *a) {
  drv *d = user;
  if (d->n >= DRV_ALERTS)
    return;
  drv_alert *r = &d->al[d->n++];
  r->a = *a;
  snprintf(r->signature, sizeof r->signature, "%s", a->signature);
  snprintf(r->rsit_class, sizeof r->rsit_class, "%s", a->rsit_class);
  snprintf(r->rsit_type, sizeof r->rsit_type, "%s", a->rsit_type);
  for (unsigned i = 0; i < a->n_metrics; i++) {
    const wd_alert_metric_t *m = &a->metrics[i];
    switch (m->type) {
    case WD_METRIC_U64:
      snprintf(r->metric[i], 64, "%llu", (unsigned long long)m->v.u);
      break;
    case WD_METRIC_F64:
      snprintf(r->metric[i], 64, "%g", m->v.d);
      break;
    case WD_METRIC_STR:
      snprintf(r->metric[i], 64, "%s", m->v.s);
      break;
    case WD_METRIC_BOOL:
      snprintf(r->metric[i], 64, "%s", m->v.b ? "true" : "false");
      break;
    }
  }
}

/* Value of metric name in alert i as text, "" if absent. */
static inline const char *drv_metric(const drv *d, unsigned i,
                                     const char *name) {
  const drv_alert *r = &d->al[i];
  for (unsigned k = 0; k < r->a.n_metrics; k++)
    if (strcmp(r->a.metrics[k].name, name) == 0)
      return r->metric[k];
  return "";
}

static inline void drv_init(drv *d, const wd_detector_ops_t *ops) {
  memset(d, 0, sizeof *d);
  d->ops = ops;
  dd_defaults(&d->cfg);
  d->cfg.detect.quiet_s = 10;
  d->cfg.detect.update_s = 60;
  d->cfg.flow.tcp_est_s = 300;
  wd_memcap_init(&d->mc, "detect", 4u << 20);
  d->sink.emit = drv_emit;
  d->sink.user = d;
  d->ctx.cfg = &d->cfg;
  d->ctx.sink = &d->sink;
}

static inline wd_rc drv_create(drv *d) {
  return d->ops->create(&d->cfg, &d->mc, &d->state);
}

static inline void drv_free(drv *d) {
  if (d->state)
    d->ops->destroy(d->state);
  d->state = NULL;
}

static inline void drv_on_msg(void *user, const wd_smb_msg_t *m) {
  drv_conn *c = user;
  int dir = m->is_response ? WD_DIR_TO_CLIENT : WD_DIR_TO_SERVER;
  c->d->ops->on_smb(c->d->state, &c->d->ctx, m, &c->f, dir);
}

/* A connection client:cport -> server:445 (IPv4 a.b.c.d as uint32). */
static inline void drv_conn_init(drv_conn *c, drv *d, uint32_t cli,
                                 uint16_t cport, uint32_t srv, uint64_t flow_id,
                                 uint64_t now) {
  memset(c, 0, sizeof *c);
  c->d = d;
  uint8_t a[4] = {(uint8_t)(cli >> 24), (uint8_t)(cli >> 16),
                  (uint8_t)(cli >> 8), (uint8_t)cli};
  uint8_t b[4] = {(uint8_t)(srv >> 24), (uint8_t)(srv >> 16),
                  (uint8_t)(srv >> 8), (uint8_t)srv};
  wd_addr_from_v4(&c->f.cli, a);
  wd_addr_from_v4(&c->f.srv, b);
  c->f.cport = cport;
  c->f.sport = 445;
  c->f.proto = 6;
  c->f.id = flow_id;
  c->now = now;
  wd_smb_conn_init(&c->smb, false, NULL);
}

/* Sends bytes: client to server (dir 0) or back (dir 1) at time now. */
static inline void drv_send(drv_conn *c, int dir, const uint8_t *p, size_t n) {
  c->f.last_ns = c->now;
  wd_smb_conn_feed(&c->smb, dir, p, n, c->now, drv_on_msg, c);
}

static inline void drv_tick(drv *d, uint64_t now) {
  if (d->ops->on_tick)
    d->ops->on_tick(d->state, &d->ctx, now);
}

static inline void drv_finish(drv *d, uint64_t now) {
  d->ops->on_finish(d->state, &d->ctx, now);
}

static inline void drv_flow_end(drv_conn *c) {
  c->d->ops->on_flow_end(c->d->state, &c->d->ctx, &c->f);
}

/* An ordinary SMB1 start: NEGOTIATE, SESSION_SETUP, TREE_CONNECT IPC$,
 * each answered. uid/tid 2048 afterwards. */
static inline void drv_smb1_login(drv_conn *c, uint16_t pid) {
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  sb_hdr h = {.cmd = 0x72, .pid = pid, .mid = 1};
  n = sb_smb1(b, &h, NULL, 0, (const uint8_t *)"\2NT LM 0.12", 12, 0);
  drv_send(c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  uint8_t w[34] = {0};
  n = sb_smb1(b, &r, w, 17, NULL, 0, 0);
  drv_send(c, 1, b, n);
  h.cmd = r.cmd = 0x73;
  uint8_t ss[26] = {0xff};
  n = sb_smb1(b, &h, ss, 13, NULL, 0, 0);
  drv_send(c, 0, b, n);
  r.uid = 2048;
  uint8_t sr[6] = {0xff};
  n = sb_smb1(b, &r, sr, 3, NULL, 0, 0);
  drv_send(c, 1, b, n);
  h.cmd = 0x75, h.uid = 2048;
  n = sb_tree_connect(b, &h, "\\\\192.0.2.5\\IPC$");
  drv_send(c, 0, b, n);
  r.cmd = 0x75, r.tid = 2048;
  uint8_t tr[14] = {0xff};
  n = sb_smb1(b, &r, tr, 7, NULL, 0, 0);
  drv_send(c, 1, b, n);
}

/* DoublePulsar-style TRANS2 SESSION_SETUP request (timeout chosen by the
 * caller) and its answer with MID mid + delta and STATUS_NOT_IMPLEMENTED. */
static inline void drv_dp_ping(drv_conn *c, uint16_t pid, uint16_t mid,
                               uint32_t timeout, int delta) {
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0x32, .tid = 2048, .pid = pid, .uid = 2048, .mid = mid};
  size_t n = sb_trans_req(b, &h, 0x000e, 0, 1, timeout, 12, 0, 12, 0);
  drv_send(c, 0, b, n);
  if (delta < 0)
    return;
  sb_hdr r = h;
  r.resp = true;
  r.status = 0xc0000002u;
  r.mid = (uint16_t)(mid + delta);
  n = sb_empty(b, &r);
  drv_send(c, 1, b, n);
}

/* EternalBlue's transaction: NT_TRANSACT declaring 66512 data bytes, its
 * interim answer, nsec TRANSACTION2_SECONDARY messages on the same MID,
 * and (if final_status) the server's TRANSACTION2 answer. */
static inline void drv_eternalblue(drv_conn *c, uint16_t pid, uint16_t mid,
                                   unsigned nsec, uint32_t final_status) {
  uint8_t b[SMB_BUILD_MAX];
  sb_hdr h = {.cmd = 0xa0, .tid = 2048, .pid = pid, .uid = 2048, .mid = mid};
  size_t n = sb_nt_trans_req(b, &h, 0, 30, 66512, 30, 976);
  drv_send(c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  n = sb_empty(b, &r);
  drv_send(c, 1, b, n);
  h.cmd = 0x33;
  for (unsigned i = 0; i < nsec; i++) {
    n = sb_trans_sec(b, &h, 0, 4096, 0, 0, 4096, (uint16_t)(976 + i * 4096));
    drv_send(c, 0, b, n);
  }
  if (final_status) {
    r.cmd = 0x32;
    r.status = final_status;
    n = sb_empty(b, &r);
    drv_send(c, 1, b, n);
  }
}

/* Benign traffic: TRANS2 FIND_FIRST2 sent in two parts (primary +
 * secondary of the same type) and answered, an ECHO, a TRANS2 QUERY_PATH
 * answered with an error, then SMB2 messages. */
static inline void drv_benign(drv_conn *c, uint16_t pid) {
  uint8_t b[SMB_BUILD_MAX];
  size_t n;
  sb_hdr h = {.cmd = 0x32, .tid = 2048, .pid = pid, .uid = 2048, .mid = 10};
  n = sb_trans_req(b, &h, 0x0001, 0, 1, 0, 40, 100, 40, 50);
  drv_send(c, 0, b, n);
  sb_hdr r = h;
  r.resp = true;
  n = sb_empty(b, &r); /* interim */
  drv_send(c, 1, b, n);
  h.cmd = 0x33;
  n = sb_trans_sec(b, &h, 40, 100, 0, 40, 50, 50);
  drv_send(c, 0, b, n);
  r.cmd = 0x32;
  n = sb_trans_resp(b, &r, 10, 200);
  drv_send(c, 1, b, n);
  h.cmd = r.cmd = 0x2b, h.mid = r.mid = 11;
  uint8_t w[2] = {1, 0};
  n = sb_smb1(b, &h, w, 1, (const uint8_t *)"ping", 4, 0);
  drv_send(c, 0, b, n);
  n = sb_smb1(b, &r, w, 1, (const uint8_t *)"ping", 4, 0);
  drv_send(c, 1, b, n);
  h.cmd = r.cmd = 0x32, h.mid = r.mid = 12;
  n = sb_trans_req(b, &h, 0x0005, 0, 1, 0, 20, 0, 20, 0);
  drv_send(c, 0, b, n);
  r.status = 0xc0000034u; /* OBJECT_NAME_NOT_FOUND */
  n = sb_empty(b, &r);
  drv_send(c, 1, b, n);
  /* SMB2: NEGOTIATE, SESSION_SETUP, TREE_CONNECT, CREATE, READ, CLOSE */
  uint8_t body[8] = {65, 0, 1, 0, 0x10, 0x02, 0, 0};
  for (uint16_t cmd = 0; cmd < 9; cmd++) {
    n = sb_smb2(b, cmd, false, 0, 100 + cmd, 0, NULL, 0);
    drv_send(c, 0, b, n);
    n = sb_smb2(b, cmd, true, cmd == 1 ? 0xc0000016u : 0, 100 + cmd, 0, body,
                sizeof body);
    drv_send(c, 1, b, n);
  }
}

#endif
