/* kerberos_brute.c -- kerberos.brute-force: password guessing against a
 * KDC (RFC 4120).
 * In: Kerberos messages (on_app) over UDP and TCP 88. A failed attempt is a
 * KRB-ERROR KDC_ERR_PREAUTH_FAILED (24: the encrypted timestamp did not
 * open with the key of the password tried) or KDC_ERR_CLIENT_REVOKED (18:
 * the account locked out by the guessing); an AS-REP is a logon.
 * KDC_ERR_PREAUTH_REQUIRED (25) is the normal first step of every logon
 * and counts as nothing. Out: attacks per (client, KDC) through brute.c,
 * naming the principal guessed. Keys: detect.kerberos_brute.*. */
#include "detect/brute_int.h"
#include "proto/app.h"

extern const wd_detector_t wd_detector_kerberos_brute;

static const wd_config_key_t keys[] = {
    BRUTE_KEYS("detect.kerberos_brute", "10", "300s"),
};
static const wd_config_keyset_t keyset =
    WD_DETECTOR_KEYSET(brute_conf, keys, NULL);

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  brute_conf c;
  return brute_create(&wd_detector_kerberos_brute, &keyset, cfg, mc, &c, state);
}

static void on_app(void *state, const wd_detect_ctx_t *ctx,
                   const struct wd_app_event *ev, const wd_flow_t *f, int dir) {
  if (ev->kind != WD_APP_KRB || dir != WD_DIR_TO_CLIENT)
    return;
  const wd_krb_msg_t *m = ev->u.krb;
  bool ok = m->msg_type == WD_KRB_AS_REP;
  bool failed = m->msg_type == WD_KRB_ERROR && m->has_error &&
                (m->error_code == WD_KRB_ERR_PREAUTH_FAILED ||
                 m->error_code == WD_KRB_ERR_CLIENT_REVOKED);
  if (!ok && !failed)
    return;
  brute_attempt(state, ctx, &f->cli, &f->srv, f->sport, f->proto, ok,
                m->has_cname ? m->cname : NULL, f->id, ev->ts_ns);
}

static const wd_detector_sig_t sigs[] = {BRUTE_SIGS(2100511, "Kerberos")};

const wd_detector_t wd_detector_kerberos_brute = {
    WD_DETECTOR_ID("kerberos.brute-force", WD_LINE_EXPLOIT,
                   "many Kerberos pre-authentications of one client failing"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(brute_refs),
    .service_port = 88,
    .service_proto = WD_PROTO_UDP,
    .create = create,
    .on_app = on_app,
    .app_protos = WD_APP_PROTO_BIT(WD_APP_KRB),
    .keys = &keyset,
    BRUTE_HOOKS,
};
