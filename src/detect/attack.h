/* attack.h -- the one START / UPDATE / END life of an attack, used by every
 * detector.
 * In: a detector's evidence times, the ticks of traffic time, and the
 * recycling of the table entry an attack lives in. Out: the alerts: START
 * when the detector says so, UPDATE every detect.update_interval while it
 * lasts (or only when it changed, for sets that ask), END after
 * detect.end_after of quiet (longer while the detector holds it, up to the
 * set's hold), when its entry is recycled, or at finish. The alert header
 * (detector, signature, attack_id, times) comes from here, the detector's
 * fields and metrics from its fill function; END alerts add last_seen.
 * Memory: a wd_attack_t lives inside the detector's own table entry and a
 * wd_attack_set_t inside the detector's state; nothing is allocated. */
#ifndef WD_DETECT_ATTACK_H
#define WD_DETECT_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "detect/alert.h"
#include "detect/detector.h"

#define WD_NSEC 1000000000ull

typedef struct wd_attack {
  uint64_t id;        /* attack_id; 0 while no attack is open */
  uint64_t start_ns;  /* first evidence */
  uint64_t last_ns;   /* latest evidence (quiet is counted from here) */
  uint64_t report_ns; /* time of the START or of the latest UPDATE */
} wd_attack_t;

/* What a detector says of one of its attacks (wd_attack_flags_fn). */
#define WD_ATTACK_HELD                                                         \
  1u                         /* keep it open through quiet (an evidence        \
                                connection is still open), up to the hold */
#define WD_ATTACK_CHANGED 2u /* its counts changed since its latest alert */

/* The WD_ATTACK_* flags of the attack in entry val. */
typedef unsigned (*wd_attack_flags_fn)(const void *val);

typedef enum {
  WD_ATTACK_DUE_NONE,
  WD_ATTACK_DUE_UPDATE,
  WD_ATTACK_DUE_END
} wd_attack_due_t;

/* Adds the detector's part of an alert about the attack in entry val (key:
 * what the detector passed with it, often its table key). The header is
 * filled; the signature is the descriptor's first unless fill signs
 * another (wd_alert_sign). Strings must stay valid until the emit returns
 * (the entry, the detector's state, static text). */
typedef void (*wd_attack_fill_fn)(void *user, const void *key, void *val,
                                  wd_alert_t *al);

typedef struct wd_attack_stats {
  uint64_t started;  /* START alerts */
  uint64_t ended;    /* END alerts, recycled included */
  uint64_t recycled; /* attacks ended because their entry was recycled */
} wd_attack_stats_t;

/* The attacks of one detector: timing, how to fill an alert, counts. */
typedef struct wd_attack_set {
  const wd_detector_t *det;
  wd_attack_fill_fn fill;
  void *user;
  uint64_t quiet_ns;          /* END after this much quiet ... */
  uint64_t hold_ns;           /* ... or this much while held (>= quiet_ns) */
  uint64_t update_ns;         /* UPDATE interval; 0 = no periodic UPDATE */
  wd_attack_flags_fn flags;   /* NULL: never held, always changed */
  uint64_t open;              /* attacks open now */
  const wd_detect_ctx_t *ctx; /* of the hook being run: where the END of a
                                 recycled entry goes (NULL: nowhere) */
  wd_attack_stats_t st;
} wd_attack_set_t;

/* Sets s up for descriptor det from cfg: quiet detect.end_after (at least
 * 1 s, so that an attack is never ended by the tick that closes its own
 * second), update detect.update_interval (0 = none), no hold. */
void wd_attack_set_init(wd_attack_set_t *s, const wd_detector_t *det,
                        const wd_config_t *cfg, wd_attack_fill_fn fill,
                        void *user);
/* Attacks that stay open while flags says WD_ATTACK_HELD, up to hold_ns of
 * quiet (raised to the quiet period), with periodic UPDATEs only when it
 * says WD_ATTACK_CHANGED. */
void wd_attack_set_hold(wd_attack_set_t *s, uint64_t hold_ns,
                        wd_attack_flags_fn flags);

/* A quiet period of the detector's own instead of detect.end_after; the
 * hold period never stays below it. */
void wd_attack_set_quiet(wd_attack_set_t *s, uint64_t quiet_ns);

static inline bool wd_attack_is_open(const wd_attack_t *a) {
  return a->id != 0;
}

/* Evidence at ts: the quiet period restarts from it. */
static inline void wd_attack_seen(wd_attack_t *a, uint64_t ts) {
  if (ts > a->last_ns)
    a->last_ns = ts;
}

/* Opens a (a fresh attack id; start_ns the first evidence, last_ns the
 * latest) and reports START at now_ns. */
void wd_attack_start(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                     wd_attack_t *a, const void *key, void *val,
                     uint64_t start_ns, uint64_t last_ns, uint64_t now_ns);
/* Reports an UPDATE of open attack a now (a verdict changed); periodic
 * ones come from wd_attack_step. */
void wd_attack_update(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                      wd_attack_t *a, const void *key, void *val,
                      uint64_t now_ns);
/* Reports END of open attack a at now_ns and closes it (zeroed). */
void wd_attack_end(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                   wd_attack_t *a, const void *key, void *val, uint64_t now_ns);

/* What open attack a (in entry val) needs at traffic time now_ns. */
wd_attack_due_t wd_attack_due(const wd_attack_set_t *s, const wd_attack_t *a,
                              const void *val, uint64_t now_ns);
/* Reports what a is due at now_ns (END for any open attack at finish);
 * returns it: after WD_ATTACK_DUE_END a is closed and the detector may
 * reset or drop its entry. */
wd_attack_due_t wd_attack_step(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                               wd_attack_t *a, const void *key, void *val,
                               uint64_t now_ns, bool finish);
/* The entry holding a is being recycled: an open attack ends at ts
 * through s->ctx (counted in st.recycled). For a table's evict callback. */
void wd_attack_recycled(wd_attack_set_t *s, wd_attack_t *a, const void *key,
                        void *val, uint64_t ts);

/* The tick and finish walk of a detector whose table values hold their
 * wd_attack_t at attack_off: every open attack is stepped (periodic
 * UPDATE, END when quiet, or END of all when all); after the walk, the
 * entries whose attack ended, and the closed ones not touched for idle_ns
 * (0: at once; all of them when all), leave the table. Keys of at most
 * WD_ATTACK_WALK_KEY_MAX bytes. No allocation. */
#define WD_ATTACK_WALK_KEY_MAX 96
struct wd_table;
void wd_attack_table_walk(wd_attack_set_t *s, const wd_detect_ctx_t *ctx,
                          struct wd_table *t, size_t key_size,
                          size_t attack_off, uint64_t idle_ns, uint64_t now_ns,
                          bool all);
/* The same for key type K and value type V whose wd_attack_t is member m;
 * a key too long for the walk is a compile error. */
#define WD_ATTACK_TABLE_WALK(s, ctx, t, K, V, m, idle_ns, now_ns, all)         \
  do {                                                                         \
    _Static_assert(sizeof(K) <= WD_ATTACK_WALK_KEY_MAX, "key too long");       \
    wd_attack_table_walk((s), (ctx), (t), sizeof(K), offsetof(V, m),           \
                         (idle_ns), (now_ns), (all));                          \
  } while (0)

/* Entries a detector's table may hold: its share (1/den) of the detect
 * memcap, at least min_entries. The memcap itself still bounds real use
 * (table.c allocates slabs lazily, never beyond the entry cap). */
uint64_t wd_attack_table_max(const wd_memcap_t *mc, unsigned den,
                             size_t key_size, size_t val_size,
                             uint64_t min_entries);

/* "2021-04-28T10:30:21.099510Z" for a metric (out must hold 32 bytes). */
char *wd_attack_time_str(uint64_t ns, char out[32]);

/* Appends a's text form to a comma-separated list in buf (size n), keeping
 * it NUL-terminated; silently stops when full. */
void wd_attack_list_addr(char *buf, size_t n, const wd_addr_t *a);
void wd_attack_list_u64(char *buf, size_t n, uint64_t v);

#endif
