/* rdp_brute.c -- rdp.brute-force: password guessing against RDP, by
 * behaviour: the credentials travel encrypted, so an attempt is a
 * connection that ends right after authentication would have happened.
 * In: flow ends (on_flow_end) of TCP 3389: a conversation (handshake
 * answered, data both ways) that closed within detect.rdp_brute.session_max
 * of its start, having carried at most detect.rdp_brute.session_bytes, is
 * one failed attempt (a guessing tool disconnects, or is disconnected, after
 * its tries); a longer or larger connection from the same client is a logon,
 * and one following the failures raises the attack's severity. Out:
 * attacks per (client, server) through brute.c. Keys:
 * detect.rdp_brute.*. */
#include "detect/brute_int.h"

extern const wd_detector_t wd_detector_rdp_brute;

static const wd_config_key_t keys[] = {
    BRUTE_KEYS("detect.rdp_brute", "10", "300s"),
    BRUTE_SESSION_KEYS("detect.rdp_brute", "30s", "256 KiB", "64"),
};
static const wd_config_keyset_t keyset =
    WD_DETECTOR_KEYSET(brute_conf, keys, NULL);

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  brute_conf c;
  return brute_create(&wd_detector_rdp_brute, &keyset, cfg, mc, &c, state);
}

static void on_flow_end(void *state, const wd_detect_ctx_t *ctx,
                        const wd_flow_t *f) {
  brute_session_end(state, ctx, f, 3389);
}

static void on_packet(void *state, const wd_detect_ctx_t *ctx,
                      const wd_packet_t *p, const wd_flow_t *f, int dir) {
  brute_session_packet(state, ctx, p, f, dir, 3389);
}

static const wd_detector_sig_t sigs[] = {BRUTE_SIGS(2100531, "RDP")};

static const wd_detector_ref_t refs[] = {
    {"mitre-attack", "T1110", "https://attack.mitre.org/techniques/T1110/",
     "MITRE ATT&CK: Brute Force"},
};

const wd_detector_t wd_detector_rdp_brute = {
    WD_DETECTOR_ID("rdp.brute-force", WD_LINE_EXPLOIT,
                   "many short RDP connections of one client ending right "
                   "after authentication"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(refs),
    .service_port = 3389,
    .service_proto = WD_PROTO_TCP,
    .create = create,
    .on_packet = on_packet,
    .on_flow_end = on_flow_end,
    .keys = &keyset,
    BRUTE_HOOKS,
};
