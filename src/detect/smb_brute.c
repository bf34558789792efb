/* smb_brute.c -- smb.brute-force: password guessing over SMB1 and SMB2.
 * In: parsed SMB messages (on_smb): the server's answer to SESSION_SETUP
 * (SMB1 SESSION_SETUP_ANDX, SMB2 SESSION_SETUP). A failed logon is an
 * answer of STATUS_LOGON_FAILURE or one of its relatives (wrong password,
 * no such user, account locked out, disabled, expired, restricted, outside
 * its hours or workstations, password expired or to be changed:
 * MS-ERREF 2.3.1); STATUS_SUCCESS is a logon; the NTLM step
 * (MORE_PROCESSING_REQUIRED) is neither. Out: attacks per (client, server)
 * through brute.c. Keys: detect.smb_brute.*. */
#include "detect/brute_int.h"
#include "proto/smb.h"

extern const wd_detector_t wd_detector_smb_brute;

static const wd_config_key_t keys[] = {
    BRUTE_KEYS("detect.smb_brute", "10", "300s"),
};
static const wd_config_keyset_t keyset =
    WD_DETECTOR_KEYSET(brute_conf, keys, NULL);

static bool logon_failure(uint32_t st) {
  switch (st) {
  case WD_SMB_STATUS_LOGON_FAILURE:
  case WD_SMB_STATUS_WRONG_PASSWORD:
  case WD_SMB_STATUS_NO_SUCH_USER:
  case WD_SMB_STATUS_ACCOUNT_RESTRICTION:
  case WD_SMB_STATUS_INVALID_LOGON_HOURS:
  case WD_SMB_STATUS_INVALID_WORKSTATION:
  case WD_SMB_STATUS_PASSWORD_EXPIRED:
  case WD_SMB_STATUS_ACCOUNT_DISABLED:
  case WD_SMB_STATUS_ACCOUNT_EXPIRED:
  case WD_SMB_STATUS_PASSWORD_MUST_CHANGE:
  case WD_SMB_STATUS_ACCOUNT_LOCKED_OUT:
    return true;
  default:
    return false;
  }
}

static wd_rc create(const wd_config_t *cfg, wd_memcap_t *mc, void **state) {
  brute_conf c;
  return brute_create(&wd_detector_smb_brute, &keyset, cfg, mc, &c, state);
}

static void on_smb(void *state, const wd_detect_ctx_t *ctx,
                   const struct wd_smb_msg *m, const wd_flow_t *f, int dir) {
  if (!m->is_response || dir != WD_DIR_TO_CLIENT)
    return;
  bool setup = m->version == WD_SMB_V1
                   ? m->command == WD_SMB1_SESSION_SETUP_ANDX
                   : m->command == WD_SMB2_SESSION_SETUP;
  if (!setup)
    return;
  bool ok = m->status == WD_SMB_STATUS_SUCCESS;
  if (!ok && !logon_failure(m->status))
    return;
  brute_attempt(state, ctx, &f->cli, &f->srv, f->sport, f->proto, ok, NULL,
                f->id, m->ts_ns);
}

static const wd_detector_sig_t sigs[] = {BRUTE_SIGS(2100501, "SMB")};

const wd_detector_t wd_detector_smb_brute = {
    WD_DETECTOR_ID("smb.brute-force", WD_LINE_EXPLOIT,
                   "many SMB logons of one client refused by one server"),
    WD_DETECTOR_SIGS(sigs),
    WD_DETECTOR_REFS(brute_refs),
    .service_port = 445,
    .service_proto = WD_PROTO_TCP,
    .create = create,
    .on_smb = on_smb,
    .keys = &keyset,
    BRUTE_HOOKS,
};
