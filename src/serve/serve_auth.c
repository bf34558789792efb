/* serve_auth.c -- who may use the API: the roles (viewer reads, analyst
 * also judges, notes, closes and requeues, admin also manages tokens and
 * reads the audit), new tokens (32 bytes of getrandom, base64url, "wt_"
 * first) and their SHA-256 (libcrypto: only the hash is stored), the
 * limiter of failed authentications per client address, and the serve.*
 * configuration keys.
 * In: token text, client addresses. Out: hashes, yes/no. The limiter is a
 * fixed table of serve.auth_table_max addresses (a full table forgets
 * its oldest window and counts that); its mutex is the server's. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "core/config.h"
#include "serve/serve_int.h"

static const char *const role_names[] = {"none", "viewer", "analyst", "admin"};

const char *wd_role_name(wd_role r) {
  return (unsigned)r < 4 ? role_names[r] : "none";
}

wd_role wd_role_parse(const char *s) {
  for (int i = 1; i < 4; i++)
    if (s && !strcmp(s, role_names[i]))
      return (wd_role)i;
  return WD_ROLE_NONE;
}

wd_rc wd_token_new(char out[WD_TOKEN_LEN]) {
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n <= 0)
      return WD_ERR_IO;
    got += (size_t)n;
  }
  size_t o = 0;
  memcpy(out, "wt_", 3);
  o = 3;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < sizeof raw; i++) {
    acc = (acc << 8) | raw[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out[o++] = b64[(acc >> bits) & 63];
    }
  }
  if (bits)
    out[o++] = b64[(acc << (6 - bits)) & 63];
  out[o] = '\0';
  return WD_OK;
}

void wd_token_hash(const char *token, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
  for (unsigned i = 0; i < n && i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
  out[64] = '\0';
}

/* ---- the limiter ---- */

static wd_limit_slot_t *slot_of(wd_serve_t *srv, const char *addr,
                                uint64_t now_ns, bool make) {
  uint64_t win = (uint64_t)srv->cfg->auth_fail_window * 1000000000ull;
  wd_limit_slot_t *free_slot = NULL, *oldest = NULL;
  for (size_t i = 0; i < srv->n_limit; i++) {
    wd_limit_slot_t *s = &srv->limit[i];
    if (s->addr[0] && now_ns - s->window_start_ns > win)
      s->addr[0] = '\0'; /* its window is over */
    if (!s->addr[0]) {
      if (!free_slot)
        free_slot = s;
      continue;
    }
    if (!strcmp(s->addr, addr))
      return s;
    if (!oldest || s->window_start_ns < oldest->window_start_ns)
      oldest = s;
  }
  if (!make)
    return NULL;
  if (!free_slot) {
    free_slot = oldest;
    srv->limit_full++;
  }
  if (!free_slot)
    return NULL;
  snprintf(free_slot->addr, sizeof free_slot->addr, "%s", addr);
  free_slot->window_start_ns = now_ns;
  free_slot->failures = 0;
  return free_slot;
}

bool wd_limit_blocked(wd_serve_t *srv, const char *addr, uint64_t now_ns) {
  pthread_mutex_lock(&srv->mu);
  wd_limit_slot_t *s = slot_of(srv, addr, now_ns, false);
  bool b = s && s->failures >= srv->cfg->auth_fail_max;
  pthread_mutex_unlock(&srv->mu);
  return b;
}

void wd_limit_fail(wd_serve_t *srv, const char *addr, uint64_t now_ns) {
  pthread_mutex_lock(&srv->mu);
  wd_limit_slot_t *s = slot_of(srv, addr, now_ns, true);
  if (s)
    s->failures++;
  pthread_mutex_unlock(&srv->mu);
}

/* ---- serve.* keys ---- */

#define T wd_serve_config_t
static const wd_config_key_t serve_keys[] = {
    WD_KEY_STR(T, "serve.listen", listen, "127.0.0.1:8480", 0,
               "address and port of `ward serve` (ADDR:PORT, [v6]:PORT)"),
    WD_KEY_STR(T, "serve.tls.cert", tls_cert, NULL, 0,
               "PEM certificate (chain): with serve.tls.key, HTTPS only"),
    WD_KEY_STR(T, "serve.tls.key", tls_key, NULL, 0, "PEM private key"),
    WD_KEY_STR(T, "serve.metrics_token", metrics_token, NULL, 0,
               "when set, /metrics needs Authorization: Bearer of it"),
    WD_KEY_STR(T, "serve.console_dir", console_dir, WD_CONSOLE_DIR, 0,
               "folder of the console's index.html, app.js, app.css"),
    WD_KEY_UINT(T, "serve.threads", threads, "4", 1, 64,
                "threads answering requests"),
    WD_KEY_SIZE(T, "serve.body_max", body_max, "64 KiB", 1024, 16u << 20,
                "largest request body"),
    WD_KEY_UINT(T, "serve.auth.fail_max", auth_fail_max, "10", 1, 100000,
                "failed authentications of one address before it waits"),
    WD_KEY_SECS(T, "serve.auth.fail_window", auth_fail_window, "60s", 1, 86400,
                "window of serve.auth.fail_max"),
    WD_KEY_UINT(T, "serve.auth.table_max", auth_table_max, "1024", 16, 1000000,
                "client addresses the limiter tracks at once"),
};
#undef T

const wd_config_keyset_t wd_serve_keyset = {
    serve_keys, sizeof serve_keys / sizeof serve_keys[0],
    sizeof(wd_serve_config_t), NULL};
