/* app.h -- the application layer the pipeline calls: TCP reassembly and
 * the parsers of src/proto, chosen by the flow's server port: SMB (445,
 * 139) for the whole flow; DNS (53), Kerberos (88) over UDP per datagram
 * and over TCP; TLS hellos (443 and the other TLS ports below), HTTP/1.x
 * heads (80, 8080, ...), QUIC Initials (UDP 443) for the first bytes only.
 * In: decoded TCP and UDP packets with their flow and direction; flow ends.
 * Out: wd_smb_msg_t values and wd_app_event_t values on the caller's
 * callbacks (borrowed for the call).
 * Memory: per-flow state (stream + parser) comes from three pools of slabs
 * (SMB entries of a few KiB, DNS/Kerberos TCP entries of 8 KiB, TLS, HTTP
 * and QUIC entries of 33 KiB), reserved against stream.memcap and shared
 * with the reassembly chunks; the flow's `app` slot holds the pool and
 * 1-based index. A TLS, HTTP, DNS or Kerberos TCP flow gives its state back
 * once its parsers are done or WD_APP_INSPECT_MAX bytes were read, a QUIC
 * flow once its ClientHello was read or after WD_APP_QUIC_DATAGRAMS_MAX
 * client datagrams; the flow is then marked and costs one comparison per
 * packet. When the memcap is exhausted a new flow goes uninspected and
 * stats.no_state counts it. Other ports cost a port lookup. Scratch
 * messages (DNS, Kerberos, TLS hello) live in the wd_app_t: nothing is
 * allocated per packet. Threads: one wd_app_t per pipeline. */
#ifndef WD_PROTO_APP_H
#define WD_PROTO_APP_H

#include "core/config.h"
#include "core/rc.h"
#include "decode/packet.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "proto/dns.h"
#include "proto/http.h"
#include "proto/kerberos.h"
#include "proto/quic.h"
#include "proto/smb.h"
#include "proto/tls.h"

typedef struct wd_app wd_app_t;

/* wd_app_event_t.kind */
typedef enum {
  WD_APP_DNS = 1,   /* u.dns: a DNS query (UDP or TCP) */
  WD_APP_TLS,       /* u.tls: a ClientHello (dir to server) or ServerHello */
  WD_APP_QUIC,      /* u.tls: the ClientHello of a QUIC v1 Initial */
  WD_APP_HTTP_REQ,  /* u.req: an HTTP/1.x request head */
  WD_APP_HTTP_RESP, /* u.resp: an HTTP/1.x response head */
  WD_APP_KRB,       /* u.krb: a Kerberos KDC message */
  WD_APP_DNS_ANSWER /* u.dns: a DNS response (UDP or TCP) */
} wd_app_kind;

/* The protocols wd_app_set_protocols turns on (bits of 1 << kind). */
#define WD_APP_PROTO_BIT(k) (1u << (k))
#define WD_APP_PROTO_ALL 0x1feu

typedef struct wd_app_event {
  uint8_t kind;   /* wd_app_kind */
  uint64_t ts_ns; /* time of the packet that completed it */
  union {
    const wd_dns_msg_t *dns;
    const wd_tls_hello_t *tls;
    const wd_http_req_t *req;
    const wd_http_resp_t *resp;
    const wd_krb_msg_t *krb;
  } u;
} wd_app_event_t;

typedef void (*wd_smb_fn)(void *user, const struct wd_smb_msg *m,
                          const wd_flow_t *f, int dir);
typedef void (*wd_app_fn)(void *user, const wd_app_event_t *ev,
                          const wd_flow_t *f, int dir);

/* Where parsed messages go (either callback may be NULL). */
typedef struct wd_app_cb {
  wd_smb_fn smb;
  wd_app_fn app;
  void *user;
} wd_app_cb_t;

typedef struct wd_app_stats {
  wd_stream_stats_t stream;
  wd_smb_stats_t smb;
  wd_dns_stats_t dns;
  wd_tls_stats_t tls;
  wd_quic_stats_t quic;
  wd_http_stats_t http;
  wd_krb_stats_t krb;
  uint64_t flows; /* flows given state */
  uint64_t flows_active;
  uint64_t flows_done; /* flows whose first bytes were read, state given
                          back before their end */
  uint64_t no_state;   /* packets of flows refused state (memcap) */
} wd_app_stats_t;

/* SMB only until wd_app_set_protocols says more. */
wd_rc wd_app_new(const wd_config_t *cfg, wd_app_t **out);
void wd_app_free(wd_app_t *a);

/* Which parsers beside SMB run: WD_APP_PROTO_BIT(WD_APP_DNS) | ... (0:
 * none; a pipeline with nobody listening parses nothing more). */
void wd_app_set_protocols(wd_app_t *a, unsigned mask);

/* Feeds one decoded TCP or UDP packet of flow f (dir = WD_DIR_TO_SERVER or
 * WD_DIR_TO_CLIENT); reassembles and parses it when its port says so and
 * calls cb for every message parsed. Cheap no-op for other ports. */
void wd_app_packet(wd_app_t *a, const wd_packet_t *p, wd_flow_t *f, int dir,
                   const wd_app_cb_t *cb);

/* The flow is leaving the flow table: release its stream/parser state. */
void wd_app_flow_end(wd_app_t *a, wd_flow_t *f);

void wd_app_stats(const wd_app_t *a, wd_app_stats_t *out);

#endif
