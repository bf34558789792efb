/* consume.h -- the centre side of the fleet: fleet messages from a Kafka
 * topic, in a consumer group, with offsets committed only when the caller
 * says its database holds their effect.
 * In: a topic written by wd_publish (one topic per consumer). Out: each
 * message decoded (fleet_msg.h) and handed to the caller's callback, with
 * its partition, offset and key; offsets committed by wd_consume_commit.
 * The commit rule: the caller polls a batch (wd_consume_poll: one callback
 * per message), stores the batch's effect in one database transaction,
 * commits that transaction, then calls wd_consume_commit(), which commits
 * the offsets of everything handed out so far (synchronously). A crash
 * before the commit makes the group deliver those messages again -- to
 * this consumer after a restart, or to another member -- so the caller
 * must be idempotent by message id (it is what the id is for).
 * librdkafka runs with enable.auto.commit=false and
 * enable.auto.offset.store=false (these cannot be overridden) and
 * auto.offset.reset=earliest (a new group reads the topic from the start).
 * Rebalances: when partitions with uncommitted messages are revoked,
 * on_revoke (if given) is called first so the caller can commit its
 * pending transaction; if it returns WD_OK those offsets are committed
 * before the partitions go, otherwise they are left uncommitted and
 * delivered again to the new owner. Lost partitions are never committed.
 * A message that cannot be decoded reaches the callback with m == NULL and
 * the reason (the caller logs it); its offset is committed like any other,
 * so one bad message never blocks a partition.
 * Memory: one entry per assigned partition, the message being decoded.
 * Threads: one thread uses one consumer; callbacks run inside
 * wd_consume_poll (and on_revoke inside poll or commit). */
#ifndef WD_FLEET_CONSUME_H
#define WD_FLEET_CONSUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "fleet/fleet_msg.h"

/* Where a message came from. key is borrowed for the callback. */
typedef struct wd_consume_pos {
  int32_t partition;
  int64_t offset;
  int64_t timestamp_ms; /* broker/producer time, -1 if none */
  const char *key;
  size_t key_len;
} wd_consume_pos_t;

/* m is NULL when the message could not be decoded; err says why. m is
 * borrowed for the call (copy what you keep). */
typedef void (*wd_consume_fn)(void *user, const wd_fleet_msg_t *m,
                              const wd_consume_pos_t *pos, const char *err);
/* Partitions are about to be revoked: make what was handed out durable. */
typedef wd_rc (*wd_consume_revoke_fn)(void *user);

typedef struct wd_consume_opts {
  const char *brokers;
  const char *topic;
  const char *group;        /* group.id */
  const char *const *props; /* librdkafka "key=value" (TLS, SASL, ...) */
  size_t n_props;
  wd_consume_revoke_fn on_revoke; /* may be NULL */
  void *user;                     /* for on_revoke */
} wd_consume_opts_t;

typedef struct wd_consume_stats {
  uint64_t messages; /* handed to the callback */
  uint64_t bad;      /* of which undecodable (m == NULL) */
  uint64_t commits;  /* successful commits */
  uint64_t commit_errors;
  uint64_t committed_offsets;   /* partition offsets committed, summed */
  uint64_t rebalances;          /* assignments received */
  uint64_t revoked_uncommitted; /* revocations that left messages to
                                   be delivered again */
  uint64_t errors;              /* consumer errors reported by librdkafka */
  uint32_t partitions;          /* assigned now */
  int64_t lag; /* sum of high watermark - position, -1 unknown */
} wd_consume_stats_t;

typedef struct wd_consume wd_consume_t;

wd_rc wd_consume_new(const wd_consume_opts_t *opts, wd_consume_t **out,
                     char *err, size_t errlen);

/* Hands out up to max messages, waiting up to timeout_ms for the first;
 * *n gets how many (0 on timeout). WD_OK also when none came. */
wd_rc wd_consume_poll(wd_consume_t *c, unsigned max, uint32_t timeout_ms,
                      wd_consume_fn fn, void *user, unsigned *n);

/* Commits (synchronously) the offsets of every message handed out so far
 * on the partitions still assigned. WD_OK when there was nothing to do;
 * WD_ERR_IO (err filled) when the broker refused: nothing is lost, the
 * messages may come again. */
wd_rc wd_consume_commit(wd_consume_t *c, char *err, size_t errlen);

/* For --once: true when the group has given this consumer its partitions
 * (and is not rebalancing) and every one is read up to its high watermark
 * (asked of the broker, waiting up to timeout_ms). */
bool wd_consume_caught_up(wd_consume_t *c, uint32_t timeout_ms);

void wd_consume_stats(wd_consume_t *c, wd_consume_stats_t *out);

/* Health of a consumer group without joining it (`ward ingest --status`):
 * per partition of the topic, the group's committed offset (-1 none) and
 * the high watermark; lag sums what is not yet committed (a partition
 * without a commit counts from its low watermark). Waits up to timeout_ms
 * for each answer. */
typedef struct wd_consume_part_status {
  int32_t partition;
  int64_t committed, low, high;
} wd_consume_part_status_t;
#define WD_CONSUME_STATUS_PARTS 1024
wd_rc wd_consume_group_status(const wd_consume_opts_t *opts,
                              uint32_t timeout_ms,
                              wd_consume_part_status_t *parts, size_t cap,
                              size_t *n, int64_t *lag, char *err,
                              size_t errlen);

/* Leaves the group WITHOUT committing: commit first. NULL ok. */
void wd_consume_close(wd_consume_t *c);

#endif
