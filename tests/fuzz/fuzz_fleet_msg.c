/* fuzz_fleet_msg.c -- libFuzzer target for the fleet wire format
 * (src/fleet/fleet_msg.c): what a centre reads from Kafka is hostile.
 * Input: byte 0 picks the mode. 0: the rest is a payload with no headers
 * (the payload alone decides its kind). 1..3: the rest is a payload
 * announced by a ward-kind header of alert / frame / heartbeat. 4: the
 * rest is a spool envelope, and its payload is decoded with the
 * envelope's kind and id as headers. Every decoded string is read to its
 * NUL and every frame byte touched so that ASan sees a bad bound; a
 * decoded alert is encoded again and must decode to the same id. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_msg.h"

static volatile size_t sink;

static void touch(const wd_fleet_msg_t *m) {
  size_t s = 0;
  if (m->kind == WD_FLEET_ALERT) {
    const wd_alert_t *a = &m->u.alert.alert;
    s += strlen(a->detector) + strlen(a->signature) + strlen(a->category) +
         strlen(a->rsit_class) + strlen(a->rsit_type);
    for (unsigned i = 0; i < a->n_metrics; i++) {
      s += strlen(a->metrics[i].name);
      if (a->metrics[i].type == WD_METRIC_STR)
        s += strlen(a->metrics[i].v.s);
    }
    if (m->u.alert.has_facility)
      s += strlen(m->u.alert.facility.name);
    /* Encode again: the id must survive. */
    char *json;
    size_t len;
    const wd_fleet_facility_t *fac =
        m->u.alert.has_facility ? &m->u.alert.facility : NULL;
    if (wd_fleet_encode_alert(&m->id, a, fac, &json, &len) == WD_OK &&
        len > WD_FLEET_MSG_MAX) {
      free(json); /* grew past the cap (added EVE fields): not a bug */
    } else if (json) {
      wd_fleet_msg_t again;
      if (wd_fleet_decode((const uint8_t *)json, len, "alert", 5, NULL, 0,
                          &again, NULL, 0) != WD_OK ||
          !wd_fleet_id_eq(&again.id, &m->id))
        abort();
      wd_fleet_msg_fini(&again);
      free(json);
    }
  } else if (m->kind == WD_FLEET_FRAME) {
    for (uint32_t i = 0; i < m->u.frame.cap_len; i++)
      s += m->u.frame.data[i];
  } else {
    if (m->u.heartbeat.version)
      s += strlen(m->u.heartbeat.version);
    for (unsigned i = 0; i < m->u.heartbeat.n_counters; i++)
      s += strlen(m->u.heartbeat.counters[i].name);
  }
  s += strlen(m->id.sensor);
  sink = s;
}

static void decode(const uint8_t *p, size_t n, const char *kind, const char *id,
                   size_t id_len) {
  wd_fleet_msg_t m;
  char err[256];
  if (wd_fleet_decode(p, n, kind, kind ? strlen(kind) : 0, id, id_len, &m, err,
                      sizeof err) == WD_OK)
    touch(&m);
  else if (err[0] == 0)
    abort(); /* every refusal says why */
  wd_fleet_msg_fini(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0] % 5;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  static const char *const kinds[] = {NULL, "alert", "frame", "heartbeat"};
  if (mode < 4) {
    decode(p, n, kinds[mode], NULL, 0);
    return 0;
  }
  wd_fleet_envelope_t e;
  char err[256];
  if (wd_fleet_envelope_decode(p, n, &e, err, sizeof err) != WD_OK)
    return 0;
  sink = e.key_len ? (size_t)e.key[e.key_len - 1] : 0;
  char id[WD_FLEET_ID_STRLEN];
  wd_fleet_id_str(&e.id, id);
  decode(e.payload, e.payload_len, wd_fleet_kind_name(e.kind), id, strlen(id));
  return 0;
}
