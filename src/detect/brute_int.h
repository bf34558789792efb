/* brute_int.h -- the engine shared by the password-guessing detectors
 * (smb.brute-force, kerberos.brute-force, ssh.brute-force,
 * rdp.brute-force): one attack per (source, target, service).
 * In: what each detector recognises as one authentication attempt by a
 * source against a target's service, with its outcome (failed, succeeded)
 * and time. Out: a START once a pair has made at least `failures` failed
 * attempts within `window` and more failures than successes (a busy
 * server's staff mistype a password once or twice, then succeed); UPDATEs
 * while attempts go on, one at once when a success follows the failures
 * (severity raised: the password was found); END after detect.end_after of
 * quiet. Alerts carry attempts, failures, successes, the window's
 * failures, the first and last user name seen and whether a success
 * followed. Memory: a wd_table per detector (1/16 of detect.memcap, at
 * least 1024 pairs), least recently seen pair recycled. */
#ifndef WD_DETECT_BRUTE_INT_H
#define WD_DETECT_BRUTE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/table.h"
#include "detect/attack.h"
#include "detect/detector.h"

/* The keys every brute-force detector has (its own table, prefix
 * "detect.<short>."), in its own struct, first members. */
typedef struct brute_conf {
  bool enabled;
  uint32_t failures; /* failed attempts in the window that make an attack */
  uint32_t window_s;
  uint32_t session_max_s;   /* ssh/rdp: an attempt ends this soon */
  uint64_t session_bytes;   /* ssh/rdp: ... having carried at most this */
  uint32_t session_packets; /* ssh/rdp: ... and this many client packets */
} brute_conf;

#define BRUTE_KEYS(PFX, FAILS, WINDOW)                                         \
  WD_KEY_BOOL(brute_conf, PFX ".enabled", enabled, "true",                     \
              "report password guessing against this service"),                \
      WD_KEY_UINT(brute_conf, PFX ".failures", failures, FAILS, 2, 1000000,    \
                  "failed attempts by one source against one server within "   \
                  "the window that make an attack"),                           \
      WD_KEY_SECS(brute_conf, PFX ".window", window_s, WINDOW, 1, 86400,       \
                  "time over which failed attempts are counted")
#define BRUTE_SESSION_KEYS(PFX, MAXS, BYTES, PKTS)                             \
  WD_KEY_SECS(brute_conf, PFX ".session_max", session_max_s, MAXS, 1, 3600,    \
              "a connection that ends this soon after it began ..."),          \
      WD_KEY_SIZE(brute_conf, PFX ".session_bytes", session_bytes, BYTES,      \
                  1024, 1u << 30,                                              \
                  "... having carried at most this many bytes both ways ..."), \
      WD_KEY_UINT(brute_conf, PFX ".session_packets", session_packets, PKTS,   \
                  8, 100000,                                                   \
                  "... and at most this many packets from the client is one "  \
                  "failed login attempt; a longer or larger connection from "  \
                  "the same source is a login that succeeded")

typedef struct brute_set brute_set;

/* Creates the state of det from its key table ks (the defaults when cfg
 * was loaded without it); *state NULL when disabled. conf gets the values. */
wd_rc brute_create(const wd_detector_t *det, const wd_config_keyset_t *ks,
                   const wd_config_t *cfg, wd_memcap_t *mc, brute_conf *conf,
                   void **state);
void brute_destroy(void *state);
/* The configuration the state was made with. */
const brute_conf *brute_conf_of(const void *state);

/* One attempt by src against dst:port at ts; user may be NULL or "". */
void brute_attempt(void *state, const wd_detect_ctx_t *ctx,
                   const wd_addr_t *src, const wd_addr_t *dst, uint16_t port,
                   uint8_t proto, bool success, const char *user,
                   uint64_t flow_id, uint64_t ts);

/* ssh/rdp: flow f to port ended; a conversation that closed within
 * session_max having carried at most session_bytes is a failed attempt,
 * a longer or larger one a logon. */
void brute_session_end(void *state, const wd_detect_ctx_t *ctx,
                       const wd_flow_t *f, uint16_t port);
/* ssh/rdp: a packet of flow f to port; the moment the connection outgrows
 * an attempt (its bytes or client packets cross the limits exactly, its
 * age is looked at when its packet count doubles), or outgrows the
 * source's own failed connections (twice their client packets or twice
 * their length and a second, looked at when its packet count doubles), a
 * success is counted at once, so that a login after the failures raises
 * the open attack even when the connection is still open at the end. */
void brute_session_packet(void *state, const wd_detect_ctx_t *ctx,
                          const wd_packet_t *p, const wd_flow_t *f, int dir,
                          uint16_t port);

void brute_on_tick(void *state, const wd_detect_ctx_t *ctx, uint64_t now);
void brute_on_finish(void *state, const wd_detect_ctx_t *ctx, uint64_t now);

/* The signatures of a brute-force detector: failed guessing, and guessing
 * that ended in a login (severity 1). */
#define BRUTE_SIGS(ID, SERVICE)                                                \
  {ID,                                                                         \
   "Password guessing against " SERVICE " (many failed logons)",               \
   "Attempted User Privilege Gain",                                            \
   2,                                                                          \
   "intrusion-attempts",                                                       \
   "brute-force"},                                                             \
  {                                                                            \
    ID + 1, "Password guessing against " SERVICE " followed by a logon",       \
        "Successful User Privilege Gain", 1, "intrusions",                     \
        "privileged-account-compromise"                                        \
  }

#define BRUTE_HOOKS                                                            \
  .destroy = brute_destroy, .on_tick = brute_on_tick,                          \
  .on_finish = brute_on_finish

/* The reference every brute-force detector cites (brute.c). */
extern const wd_detector_ref_t brute_refs[1];

/* A detector of guessing by behaviour over an encrypted service on TCP
 * PORT (SSH, RDP): its keys under PFX with the session limits' defaults,
 * its hooks, signatures SID and SID + 1, and its descriptor SYM. Used once
 * per file; the file says what an attempt of that protocol looks like. */
#define BRUTE_SESSION_DETECTOR(SYM, NAME, PFX, PORT, SID, SERVICE, TITLE,      \
                               BYTES, PKTS)                                    \
  extern const wd_detector_t SYM;                                              \
  static const wd_config_key_t keys[] = {                                      \
      BRUTE_KEYS(PFX, "10", "300s"),                                           \
      BRUTE_SESSION_KEYS(PFX, "30s", BYTES, PKTS),                             \
  };                                                                           \
  static const wd_config_keyset_t keyset =                                     \
      WD_DETECTOR_KEYSET(brute_conf, keys, NULL);                              \
  static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) { \
    brute_conf c;                                                              \
    return brute_create(&SYM, &keyset, cfg, mc, &c, state);                    \
  }                                                                            \
  static void on_flow_end(void *state, const wd_detect_ctx_t *ctx,             \
                          const wd_flow_t *f) {                                \
    brute_session_end(state, ctx, f, PORT);                                    \
  }                                                                            \
  static void on_packet(void *state, const wd_detect_ctx_t *ctx,               \
                        const wd_packet_t *p, const wd_flow_t *f, int dir) {   \
    brute_session_packet(state, ctx, p, f, dir, PORT);                         \
  }                                                                            \
  static const wd_detector_sig_t sigs[] = {BRUTE_SIGS(SID, SERVICE)};          \
  const wd_detector_t SYM = {                                                  \
      WD_DETECTOR_ID(NAME, WD_LINE_EXPLOIT, TITLE),                            \
      WD_DETECTOR_SIGS(sigs),                                                  \
      WD_DETECTOR_REFS(brute_refs),                                            \
      .service_port = PORT,                                                    \
      .service_proto = WD_PROTO_TCP,                                           \
      .create = create,                                                        \
      .on_packet = on_packet,                                                  \
      .packets = WD_PKT_TCP,                                                   \
      .packets_srv = PORT,                                                     \
      .on_flow_end = on_flow_end,                                              \
      .keys = &keyset,                                                         \
      BRUTE_HOOKS,                                                             \
  }

#endif
