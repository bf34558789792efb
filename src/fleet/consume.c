/* consume.c -- the fleet consumer (see consume.h). A table of the assigned
 * partitions keeps, for each, the offset after the last message handed
 * out (next) and the last offset this consumer committed; commit sends
 * next for every partition where it moved. Rebalances go through our own
 * callback (eager or cooperative protocol, whichever the group uses). */
#include "fleet/consume.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "fleet/kafka_int.h"

typedef struct part {
  int32_t id;
  int64_t next;      /* after the last message handed out; -1: none */
  int64_t committed; /* last committed offset known; -1: none/unknown */
  bool committed_known;
} part_t;

struct wd_consume {
  rd_kafka_t *rk;
  char *topic;
  part_t *parts;
  size_t n, cap;
  bool assigned_once, rebalancing, closing;
  wd_consume_revoke_fn on_revoke;
  void *user;
  wd_consume_stats_t st;
};

static part_t *part_find(wd_consume_t *c, int32_t id) {
  for (size_t i = 0; i < c->n; i++)
    if (c->parts[i].id == id)
      return &c->parts[i];
  return NULL;
}

static part_t *part_add(wd_consume_t *c, int32_t id) {
  part_t *p = part_find(c, id);
  if (p)
    return p;
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 16;
    part_t *np = realloc(c->parts, nc * sizeof *np);
    if (!np)
      return NULL;
    c->parts = np;
    c->cap = nc;
  }
  p = &c->parts[c->n++];
  p->id = id;
  p->next = -1;
  p->committed = -1;
  p->committed_known = false;
  return p;
}

static void part_del(wd_consume_t *c, int32_t id) {
  for (size_t i = 0; i < c->n; i++)
    if (c->parts[i].id == id) {
      c->parts[i] = c->parts[--c->n];
      return;
    }
}

static bool pending(const part_t *p) {
  return p->next >= 0 && p->next > p->committed;
}

/* Commits next of the given partitions (all assigned when l is NULL). */
static wd_rc commit_parts(wd_consume_t *c,
                          const rd_kafka_topic_partition_list_t *l, char *err,
                          size_t errlen) {
  rd_kafka_topic_partition_list_t *cl =
      rd_kafka_topic_partition_list_new((int)(c->n ? c->n : 1));
  for (size_t i = 0; i < c->n; i++) {
    part_t *p = &c->parts[i];
    if (!pending(p))
      continue;
    if (l && !rd_kafka_topic_partition_list_find(l, c->topic, p->id))
      continue;
    rd_kafka_topic_partition_list_add(cl, c->topic, p->id)->offset = p->next;
  }
  if (cl->cnt == 0) {
    rd_kafka_topic_partition_list_destroy(cl);
    return WD_OK;
  }
  rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, cl, 0);
  wd_rc rc = WD_OK;
  for (int i = 0; i < cl->cnt; i++) {
    rd_kafka_topic_partition_t *t = &cl->elems[i];
    rd_kafka_resp_err_t pe = e ? e : t->err;
    part_t *p = part_find(c, t->partition);
    if (pe) {
      if (err && rc == WD_OK)
        snprintf(err, errlen,
                 "commit of %s partition %d offset %" PRId64 ": %s", c->topic,
                 t->partition, t->offset, rd_kafka_err2str(pe));
      rc = WD_ERR_IO;
    } else if (p) {
      p->committed = t->offset;
      p->committed_known = true;
      c->st.committed_offsets++;
    }
  }
  rd_kafka_topic_partition_list_destroy(cl);
  if (rc == WD_OK)
    c->st.commits++;
  else
    c->st.commit_errors++;
  return rc;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *l, void *opaque) {
  wd_consume_t *c = opaque;
  bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < l->cnt; i++)
      if (strcmp(l->elems[i].topic, c->topic) == 0)
        part_add(c, l->elems[i].partition);
    if (coop) {
      rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, l);
      if (e)
        rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, l);
    }
    c->assigned_once = true;
    c->rebalancing = false;
    c->st.rebalances++;
    wd_log(WD_LOG_INFO, "fleet", "%s: %d partitions assigned, %zu in all",
           c->topic, l->cnt, c->n);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    c->rebalancing = !coop;
    bool any = false;
    for (size_t i = 0; i < c->n; i++)
      if (pending(&c->parts[i]) &&
          rd_kafka_topic_partition_list_find(l, c->topic, c->parts[i].id))
        any = true;
    if (any) {
      char why[256] = "";
      if (c->closing || rd_kafka_assignment_lost(rk) || !c->on_revoke)
        snprintf(why, sizeof why, "%s",
                 c->closing     ? "closing"
                 : c->on_revoke ? "partitions lost"
                                : "no on_revoke");
      else if (c->on_revoke(c->user) != WD_OK)
        snprintf(why, sizeof why, "on_revoke refused");
      else
        commit_parts(c, l, why, sizeof why);
      if (why[0]) {
        c->st.revoked_uncommitted++;
        wd_log(WD_LOG_INFO, "fleet",
               "%s: partitions revoked with messages not committed (%s): "
               "they will be delivered again",
               c->topic, why);
      }
    }
    for (int i = 0; i < l->cnt; i++)
      if (strcmp(l->elems[i].topic, c->topic) == 0)
        part_del(c, l->elems[i].partition);
    if (coop) {
      rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, l);
      if (e)
        rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, NULL);
    }
    return;
  }
  wd_log(WD_LOG_WARN, "fleet", "%s: rebalance failed: %s", c->topic,
         rd_kafka_err2str(err));
  c->n = 0;
  c->rebalancing = true;
  rd_kafka_assign(rk, NULL);
}

static const char *const only_false[] = {"false", NULL};
static const wd_kafka_guard_t consumer_guards[] = {
    {"enable.auto.commit", only_false},
    {"enable.auto.offset.store", only_false},
    {"group.id", NULL},
    {"bootstrap.servers", NULL},
    {NULL, NULL}};

wd_rc wd_consume_new(const wd_consume_opts_t *o, wd_consume_t **out, char *err,
                     size_t errlen) {
  *out = NULL;
  if (!o->brokers || !o->brokers[0] || !o->topic || !o->topic[0] || !o->group ||
      !o->group[0]) {
    snprintf(err, errlen, "consume: need brokers, a topic and a group");
    return WD_ERR_INVAL;
  }
  wd_consume_t *c = calloc(1, sizeof *c);
  if (!c)
    return WD_ERR_NOMEM;
  c->topic = strdup(o->topic);
  c->on_revoke = o->on_revoke;
  c->user = o->user;
  c->st.lag = -1;
  if (!c->topic) {
    free(c);
    return WD_ERR_NOMEM;
  }
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  wd_rc rc;
  if ((rc = wd_kafka_set(conf, "bootstrap.servers", o->brokers, err, errlen)) ||
      (rc = wd_kafka_set(conf, "group.id", o->group, err, errlen)) ||
      (rc = wd_kafka_set(conf, "client.id", "ward-ingest", err, errlen)) ||
      (rc = wd_kafka_set(conf, "enable.auto.commit", "false", err, errlen)) ||
      (rc = wd_kafka_set(conf, "enable.auto.offset.store", "false", err,
                         errlen)) ||
      (rc = wd_kafka_set(conf, "auto.offset.reset", "earliest", err, errlen)) ||
      (rc = wd_kafka_apply(conf, o->props, o->n_props, consumer_guards, err,
                           errlen))) {
    rd_kafka_conf_destroy(conf);
    free(c->topic);
    free(c);
    return rc;
  }
  rd_kafka_conf_set_opaque(conf, c);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  wd_kafka_log_to_ward(conf);
  char why[512];
  c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
  if (!c->rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, errlen, "kafka consumer for %s: %s", o->brokers, why);
    free(c->topic);
    free(c);
    return WD_ERR_CONFIG;
  }
  rd_kafka_poll_set_consumer(c->rk);
  rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, c->topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
  rd_kafka_topic_partition_list_destroy(sub);
  if (e) {
    snprintf(err, errlen, "subscribe to %s: %s", c->topic, rd_kafka_err2str(e));
    wd_consume_close(c);
    return WD_ERR_CONFIG;
  }
  *out = c;
  return WD_OK;
}

static void hand_out(wd_consume_t *c, rd_kafka_message_t *msg, wd_consume_fn fn,
                     void *user) {
  const char *kind = NULL, *id = NULL;
  size_t kl = 0, il = 0;
  rd_kafka_headers_t *h = NULL;
  if (rd_kafka_message_headers(msg, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const void *v;
    size_t n;
    if (rd_kafka_header_get_last(h, WD_FLEET_HDR_KIND, &v, &n) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        v) {
      kind = v;
      kl = n;
    }
    if (rd_kafka_header_get_last(h, WD_FLEET_HDR_ID, &v, &n) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        v) {
      id = v;
      il = n;
    }
  }
  wd_consume_pos_t pos = {.partition = msg->partition,
                          .offset = msg->offset,
                          .timestamp_ms = rd_kafka_message_timestamp(msg, NULL),
                          .key = msg->key,
                          .key_len = msg->key_len};
  wd_fleet_msg_t m;
  char why[256];
  wd_rc rc = wd_fleet_decode(msg->payload, msg->len, kind, kl, id, il, &m, why,
                             sizeof why);
  c->st.messages++;
  if (rc == WD_OK) {
    fn(user, &m, &pos, NULL);
  } else {
    c->st.bad++;
    fn(user, NULL, &pos, why);
  }
  wd_fleet_msg_fini(&m);
  part_t *p = part_add(c, msg->partition);
  if (p && msg->offset + 1 > p->next)
    p->next = msg->offset + 1;
}

wd_rc wd_consume_poll(wd_consume_t *c, unsigned max, uint32_t timeout_ms,
                      wd_consume_fn fn, void *user, unsigned *n) {
  *n = 0;
  uint64_t deadline = wd_fleet_now_ms() + timeout_ms;
  while (*n < max) {
    uint64_t now = wd_fleet_now_ms();
    int wait = 0;
    if (*n == 0 && now < deadline)
      wait = (int)(deadline - now);
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, wait);
    if (!msg) {
      if (*n > 0 || wd_fleet_now_ms() >= deadline)
        break;
      continue;
    }
    if (msg->err) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        c->st.errors++;
        wd_log(WD_LOG_WARN, "fleet", "consuming %s: %s", c->topic,
               rd_kafka_message_errstr(msg));
      }
      rd_kafka_message_destroy(msg);
      continue;
    }
    hand_out(c, msg, fn, user);
    rd_kafka_message_destroy(msg);
    (*n)++;
  }
  return WD_OK;
}

wd_rc wd_consume_commit(wd_consume_t *c, char *err, size_t errlen) {
  return commit_parts(c, NULL, err, errlen);
}

/* The offset this consumer reads next on p: what it handed out, else its
 * group's committed offset, else the start of the partition. */
static bool position(wd_consume_t *c, part_t *p, int64_t lo, uint32_t tmo,
                     int64_t *out) {
  if (p->next >= 0) {
    *out = p->next;
    return true;
  }
  if (!p->committed_known) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, p->id);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, (int)tmo);
    if (e || l->elems[0].err) {
      rd_kafka_topic_partition_list_destroy(l);
      return false;
    }
    p->committed = l->elems[0].offset >= 0 ? l->elems[0].offset : -1;
    p->committed_known = true;
    rd_kafka_topic_partition_list_destroy(l);
  }
  *out = p->committed >= 0 ? p->committed : lo;
  return true;
}

bool wd_consume_caught_up(wd_consume_t *c, uint32_t timeout_ms) {
  if (!c->assigned_once || c->rebalancing)
    return false;
  int64_t lag = 0;
  for (size_t i = 0; i < c->n; i++) {
    part_t *p = &c->parts[i];
    int64_t lo, hi, pos;
    if (rd_kafka_query_watermark_offsets(c->rk, c->topic, p->id, &lo, &hi,
                                         (int)timeout_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        !position(c, p, lo, timeout_ms, &pos))
      return false;
    if (pos < hi)
      lag += hi - pos;
  }
  c->st.lag = lag;
  return lag == 0;
}

void wd_consume_stats(wd_consume_t *c, wd_consume_stats_t *out) {
  int64_t lag = 0;
  bool known = c->assigned_once;
  for (size_t i = 0; i < c->n && known; i++) {
    part_t *p = &c->parts[i];
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(c->rk, c->topic, p->id, &lo, &hi) ||
        hi < 0) {
      known = false;
      break;
    }
    int64_t pos = p->next >= 0        ? p->next
                  : p->committed >= 0 ? p->committed
                                      : lo;
    if (pos >= 0 && pos < hi)
      lag += hi - pos;
  }
  c->st.partitions = (uint32_t)c->n;
  c->st.lag = known ? lag : -1;
  *out = c->st;
}

void wd_consume_close(wd_consume_t *c) {
  if (!c)
    return;
  c->closing = true;
  if (c->rk) {
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
  }
  free(c->parts);
  free(c->topic);
  free(c);
}

wd_rc wd_consume_group_status(const wd_consume_opts_t *o, uint32_t tmo,
                              wd_consume_part_status_t *parts, size_t cap,
                              size_t *n, int64_t *lag, char *err,
                              size_t errlen) {
  *n = 0;
  *lag = 0;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  wd_rc rc;
  if ((rc = wd_kafka_set(conf, "bootstrap.servers", o->brokers, err, errlen)) ||
      (rc = wd_kafka_set(conf, "group.id", o->group, err, errlen)) ||
      (rc = wd_kafka_set(conf, "client.id", "ward-ingest-status", err,
                         errlen)) ||
      (rc = wd_kafka_set(conf, "enable.auto.commit", "false", err, errlen)) ||
      (rc = wd_kafka_apply(conf, o->props, o->n_props, consumer_guards, err,
                           errlen))) {
    rd_kafka_conf_destroy(conf);
    return rc;
  }
  wd_kafka_log_to_ward(conf);
  char why[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    snprintf(err, errlen, "kafka consumer for %s: %s", o->brokers, why);
    return WD_ERR_CONFIG;
  }
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, o->topic, NULL);
  const rd_kafka_metadata_t *md = NULL;
  rd_kafka_resp_err_t e =
      t ? rd_kafka_metadata(rk, 0, t, &md, (int)tmo) : RD_KAFKA_RESP_ERR__FAIL;
  rc = WD_ERR_IO;
  if (e || !md || md->topic_cnt != 1 || md->topics[0].err) {
    snprintf(err, errlen, "topic %s at %s: %s", o->topic, o->brokers,
             rd_kafka_err2str(e ? e
                              : md && md->topic_cnt
                                  ? md->topics[0].err
                                  : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    goto out;
  }
  int pc = md->topics[0].partition_cnt;
  rd_kafka_topic_partition_list_t *l =
      rd_kafka_topic_partition_list_new(pc > 0 ? pc : 1);
  for (int i = 0; i < pc; i++)
    rd_kafka_topic_partition_list_add(l, o->topic,
                                      md->topics[0].partitions[i].id);
  e = rd_kafka_committed(rk, l, (int)tmo);
  if (e) {
    snprintf(err, errlen, "committed offsets of group %s: %s", o->group,
             rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
    goto out;
  }
  rc = WD_OK;
  for (int i = 0; i < l->cnt && *n < cap; i++) {
    wd_consume_part_status_t *ps = &parts[(*n)++];
    ps->partition = l->elems[i].partition;
    ps->committed = l->elems[i].err ? -1 : l->elems[i].offset;
    if (ps->committed < 0)
      ps->committed = -1;
    e = rd_kafka_query_watermark_offsets(rk, o->topic, ps->partition, &ps->low,
                                         &ps->high, (int)tmo);
    if (e) {
      snprintf(err, errlen, "watermarks of %s partition %d: %s", o->topic,
               ps->partition, rd_kafka_err2str(e));
      rc = WD_ERR_IO;
      break;
    }
    int64_t from = ps->committed >= 0 ? ps->committed : ps->low;
    if (ps->high > from)
      *lag += ps->high - from;
  }
  rd_kafka_topic_partition_list_destroy(l);
out:
  if (md)
    rd_kafka_metadata_destroy(md);
  if (t)
    rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return rc;
}
