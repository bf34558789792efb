/* fuzz_smb.c -- libFuzzer target for the SMB parser (src/proto/smb.c),
 * the TCP reassembly it sits behind (src/flow/stream.c via src/proto/app.c)
 * and the two SMB detectors fed by it.
 * Input: byte 0 picks the mode (bit 0: port 139 framing; bit 1: through
 * wd_app as TCP segments instead of straight into the parser). Then
 * records, each starting with a control byte:
 *   parser mode: bit 0 direction; bit 1 set: a gap of (ctl >> 2) * 13 bytes
 *   (0: unknown); else the next ((ctl >> 2) + 1) * 8 bytes are data.
 *   app mode: bit 0 direction, bit 1 SYN, then 2 bytes of sequence offset
 *   (little endian, from a fixed ISN per direction, may go backwards) and
 *   ((ctl >> 2) + 1) * 8 bytes of payload.
 * Every record also advances traffic time by 0.25 s so the detectors'
 * ticks (UPDATE/END) run too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "detect/detector.h"
#include "proto/app.h"
#include "proto/smb.h"

extern const wd_detector_ops_t wd_detector_ms17010;
extern const wd_detector_ops_t wd_detector_doublepulsar;

typedef struct fz {
  void *st[2];
  const wd_detector_ops_t *ops[2];
  wd_detect_ctx_t ctx;
  wd_flow_t flow;
  unsigned alerts;
} fz;

static void emit(void *user, const wd_alert_t *a) {
  fz *z = user;
  /* touch what a writer would read */
  if (a->detector && a->signature && a->rsit_class && a->rsit_type)
    z->alerts += a->n_metrics <= WD_ALERT_METRICS_MAX;
}

static void on_msg(fz *z, const wd_smb_msg_t *m, int dir) {
  /* the borrowed bytes must be readable in full */
  volatile uint8_t sink = 0;
  for (uint32_t i = 0; i < m->bytes_len; i++)
    sink ^= m->bytes[i];
  (void)sink;
  for (int i = 0; i < 2; i++)
    if (z->st[i])
      z->ops[i]->on_smb(z->st[i], &z->ctx, m, &z->flow, dir);
}

typedef struct direct_ctx {
  fz *z;
  int dir;
} direct_ctx;

static void direct_cb(void *user, const wd_smb_msg_t *m) {
  direct_ctx *d = user;
  on_msg(d->z, m, d->dir);
}

static void app_cb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                   int dir) {
  (void)f;
  on_msg(user, m, dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;

  /* Small buffers and short times; loaded once. */
  static wd_config_t *cfgp;
  static const char yaml[] =
      "stream: {memcap: 1 MiB, flow_buffer: 8 KiB, window: 16 KiB}\n"
      "detect: {end_after: 2s, update_interval: 3s}\n"
      "flow.timeouts.tcp_established: 5s\n";
  if (!cfgp && wd_detect_config_load_buffer("fuzz", yaml, sizeof yaml - 1,
                                            &cfgp, NULL, 0) != WD_OK)
    abort();
  const wd_config_t *cfg = cfgp;
  wd_memcap_t mc;
  /* wd_table takes slabs of 4096 entries: ~1.5 MiB for ms17-010 */
  wd_memcap_init(&mc, "detect", 8u << 20);

  fz z;
  memset(&z, 0, sizeof z);
  wd_alert_sink_t sink = {emit, &z};
  z.ctx.cfg = cfg;
  z.ctx.sink = &sink;
  z.ops[0] = &wd_detector_ms17010;
  z.ops[1] = &wd_detector_doublepulsar;
  for (int i = 0; i < 2; i++)
    if (z.ops[i]->create(cfg, &mc, &z.st[i]) != WD_OK)
      z.st[i] = NULL;
  uint8_t a4[4] = {10, 0, 0, 1}, b4[4] = {10, 0, 0, 2};
  wd_addr_from_v4(&z.flow.cli, a4);
  wd_addr_from_v4(&z.flow.srv, b4);
  z.flow.id = 1;
  z.flow.cport = 40000;
  z.flow.sport = (mode & 1) ? 139 : 445;
  z.flow.proto = 6;

  uint64_t now = 1000000000ull * 1000;
  uint64_t last_sec = now / 1000000000ull;
  wd_app_t *app = NULL;
  wd_smb_conn_t *conn = NULL;
  static wd_smb_conn_t conn_store;
  if (mode & 2) {
    if (wd_app_new(cfg, &app) != WD_OK)
      goto out;
  } else {
    conn = &conn_store;
    wd_smb_conn_init(conn, mode & 1, NULL);
  }

  size_t i = 0;
  while (i < size) {
    uint8_t ctl = data[i++];
    int dir = ctl & 1;
    now += 250000000ull;
    z.flow.last_ns = now;
    if (now / 1000000000ull != last_sec) {
      last_sec = now / 1000000000ull;
      for (int k = 0; k < 2; k++)
        if (z.st[k])
          z.ops[k]->on_tick(z.st[k], &z.ctx, last_sec * 1000000000ull);
    }
    if (!app) {
      if (ctl & 2) {
        wd_smb_conn_gap(conn, dir, (uint32_t)(ctl >> 2) * 13);
        continue;
      }
      size_t len = ((size_t)(ctl >> 2) + 1) * 8;
      if (len > size - i)
        len = size - i;
      direct_ctx d = {&z, dir};
      wd_smb_conn_feed(conn, dir, data + i, len, now, direct_cb, &d);
      i += len;
      continue;
    }
    if (size - i < 2)
      break;
    uint16_t off = (uint16_t)(data[i] | (data[i + 1] << 8));
    i += 2;
    size_t len = ((size_t)(ctl >> 2) + 1) * 8;
    if (len > size - i)
      len = size - i;
    wd_packet_t p;
    memset(&p, 0, sizeof p);
    p.ts_ns = now;
    p.ip_version = 4;
    p.l4_proto = WD_PROTO_TCP;
    p.has_l4 = true;
    uint32_t isn = dir ? 0x7ffffff0u : 0xfffffff0u; /* both wrap */
    p.tcp_seq = isn + (uint32_t)(int16_t)off;
    p.tcp_ack = (dir ? 0xfffffff0u : 0x7ffffff0u) + (uint32_t)off * 3u;
    p.tcp_flags = (uint8_t)(WD_TCP_ACK | ((ctl & 2) ? WD_TCP_SYN : 0));
    p.payload = data + i;
    p.payload_len = (uint32_t)len;
    wd_app_packet(app, &p, &z.flow, dir, app_cb, &z);
    i += len;
  }

out:
  for (int k = 0; k < 2; k++)
    if (z.st[k]) {
      z.ops[k]->on_flow_end(z.st[k], &z.ctx, &z.flow);
      z.ops[k]->on_finish(z.st[k], &z.ctx, now);
      z.ops[k]->destroy(z.st[k]);
    }
  if (app) {
    wd_app_flow_end(app, &z.flow);
    wd_app_free(app);
  }
  return 0;
}
