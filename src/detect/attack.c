/* attack.c -- attack life cycle and alert header helpers (see attack.h).
 * In: a detector's wd_attack_t and the configuration. Out: due decisions,
 * filled alert headers, short text lists for metrics. No allocation; the
 * time text comes from core/timefmt.h (no system call). */
#include "detect/attack.h"

#include "core/table.h"
#include "core/timefmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void wd_attack_open(wd_attack_t *a, uint64_t start_ns, uint64_t now_ns) {
  a->id = wd_alert_next_id();
  a->start_ns = start_ns;
  a->last_ns = now_ns;
  a->report_ns = now_ns;
}

void wd_attack_close(wd_attack_t *a) { memset(a, 0, sizeof *a); }

uint64_t wd_attack_quiet_ns(const wd_config_t *cfg) {
  uint64_t q = cfg->detect.quiet_s;
  return (q ? q : 1) * WD_NSEC;
}

uint64_t wd_attack_update_ns(const wd_config_t *cfg) {
  return (uint64_t)cfg->detect.update_s * WD_NSEC;
}

wd_attack_due_t wd_attack_due(const wd_attack_t *a, const wd_config_t *cfg,
                              uint64_t now_ns) {
  if (!wd_attack_is_open(a))
    return WD_ATTACK_DUE_NONE;
  if (now_ns >= a->last_ns && now_ns - a->last_ns >= wd_attack_quiet_ns(cfg))
    return WD_ATTACK_DUE_END;
  uint64_t up = wd_attack_update_ns(cfg);
  if (up && now_ns >= a->report_ns && now_ns - a->report_ns >= up)
    return WD_ATTACK_DUE_UPDATE;
  return WD_ATTACK_DUE_NONE;
}

void wd_attack_alert(wd_alert_t *al, const wd_alert_kind_t *k, wd_attack_t *a,
                     wd_alert_state st, uint64_t now_ns) {
  memset(al, 0, sizeof *al);
  al->detector = k->detector;
  al->signature_id = k->signature_id;
  al->signature = k->signature;
  al->category = k->category;
  al->severity = k->severity;
  al->rsit_class = k->rsit_class;
  al->rsit_type = k->rsit_type;
  al->state = st;
  al->attack_id = a->id;
  al->ts_ns = now_ns;
  al->start_ns = a->start_ns;
  al->last_ns = a->last_ns;
  if (st != WD_ALERT_END)
    a->report_ns = now_ns;
}

uint64_t wd_attack_table_max(const wd_memcap_t *mc, unsigned den,
                             size_t key_size, size_t val_size,
                             uint64_t min_entries) {
  uint64_t n =
      (mc->cap / (den ? den : 1)) / wd_table_entry_size(key_size, val_size);
  return n > min_entries ? n : min_entries;
}

char *wd_attack_time_str(uint64_t ns, char out[32]) {
  return wd_time_str(ns, WD_TIME_RFC3339_US, out, 32);
}

static void list_append(char *buf, size_t n, const char *item) {
  size_t len = strnlen(buf, n);
  size_t need = strlen(item) + (len ? 1 : 0);
  if (len + need + 1 > n)
    return;
  if (len)
    buf[len++] = ',';
  memcpy(buf + len, item, strlen(item) + 1);
}

void wd_attack_list_addr(char *buf, size_t n, const wd_addr_t *a) {
  char s[WD_ADDR_STRLEN];
  list_append(buf, n, wd_addr_str(a, s));
}

void wd_attack_list_u64(char *buf, size_t n, uint64_t v) {
  char s[24];
  snprintf(s, sizeof s, "%" PRIu64, v);
  list_append(buf, n, s);
}
