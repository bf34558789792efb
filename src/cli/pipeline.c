/* pipeline.c -- the packet path of one run (see pipeline.h).
 * Per frame: decode, account to the flow and host tables, feed SMB flows
 * to reassembly/parsing, offer the packet to every detector. Each time
 * traffic time enters a new second: expire flows, close the host table's
 * second, tick detectors. Alerts go through one sink that counts them,
 * names the facility and writes the event. Nothing here allocates per
 * packet. */
#include "cli/pipeline.h"

#include <inttypes.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "decode/decode.h"
#include "detect/detector.h"
#include "flow/flow.h"
#include "flow/host.h"
#include "incident/incident.h"
#include "proto/app.h"
#include "proto/smb.h"

#define NSEC 1000000000ull

typedef struct det_slot {
  const wd_detector_ops_t *ops;
  void *state;
  uint64_t alerts;
} det_slot;

typedef struct run {
  const wd_config_t *cfg;
  const wd_pipeline_opts_t *opts;
  wd_capture_t *cap;
  wd_flow_table_t *flows;
  wd_host_table_t *hosts;
  wd_app_t *app;
  wd_incidents_t *inc; /* with --db: alerts become incidents */
  wd_memcap_t detect_mc;
  det_slot det[WD_DETECTORS_MAX];
  size_t ndet;
  wd_detect_ctx_t ctx;
  wd_alert_sink_t sink;
  size_t cur_det; /* detector being called, for per-detector counts */

  uint64_t first_ns, now_ns, cur_sec, last_stats_sec;
  const wd_frame_t *frame; /* frame being processed, for pcap_cnt */

  /* counters */
  uint64_t pkts, bytes, max_pkt, non_ip;
  uint64_t by_link[6]; /* ethernet, sll, sll2, raw, null, other */
  uint64_t ipv4, ipv6, tcp, udp, icmp4, icmp6, vlan, qinq, frags;
  uint64_t errors[WD_DECODE_ERR_COUNT];
  uint64_t decode_errors;
  uint64_t alerts;
  uint64_t smb_msgs;
} run;

static const char *const link_names[6] = {"ethernet", "sll",  "sll2",
                                          "raw",      "null", "other"};

static int link_index(int dlt) {
  switch (dlt) {
  case DLT_EN10MB:
    return 0;
  case DLT_LINUX_SLL:
    return 1;
  case DLT_LINUX_SLL2:
    return 2;
  case DLT_RAW: /* 12 on Linux */
  case 14:      /* DLT_RAW on some BSDs */
  case 101:     /* LINKTYPE_RAW */
  case DLT_IPV4:
  case DLT_IPV6:
    return 3;
  case DLT_NULL:
  case DLT_LOOP:
    return 4;
  default:
    return 5;
  }
}

/* ---- alerts ---- */

static void human_alert(run *r, const wd_alert_t *a, const wd_facility_t *fac) {
  FILE *h = r->opts->human;
  char ts[40], s[WD_ADDR_STRLEN], d[WD_ADDR_STRLEN];
  wd_eve_timestamp(a->ts_ns, ts);
  fprintf(h, "%.19sZ  %-18s %-6s %s -> %s", ts, a->detector,
          wd_alert_state_name(a->state),
          a->has_src ? wd_addr_str(&a->src, s) : "(many/spoofed)",
          wd_addr_str(&a->dst, d));
  if (a->has_ports)
    fprintf(h, ":%u", a->dport);
  fprintf(h, "  %s", a->signature);
  if (fac)
    fprintf(h, " [%s, %s]", fac->name, wd_facility_sector(fac));
  for (unsigned i = 0; i < a->n_metrics; i++) {
    const wd_alert_metric_t *m = &a->metrics[i];
    switch (m->type) {
    case WD_METRIC_U64:
      fprintf(h, " %s=%" PRIu64, m->name, m->v.u);
      break;
    case WD_METRIC_F64:
      fprintf(h, " %s=%.3g", m->name, m->v.d);
      break;
    case WD_METRIC_STR:
      fprintf(h, " %s=%s", m->name, m->v.s ? m->v.s : "");
      break;
    case WD_METRIC_BOOL:
      fprintf(h, " %s=%s", m->name, m->v.b ? "true" : "false");
      break;
    }
  }
  fputc('\n', h);
}

static void on_alert(void *user, const wd_alert_t *a) {
  run *r = user;
  r->alerts++;
  if (r->cur_det < r->ndet)
    r->det[r->cur_det].alerts++;
  if (r->inc)
    wd_incidents_alert(r->inc, a);
  const wd_facility_t *fac = wd_config_facility_of(r->cfg, &a->dst);
  if (!fac && a->has_src)
    fac = wd_config_facility_of(r->cfg, &a->src);
  if (r->opts->eve) {
    wd_eve_origin_t origin = {0};
    if (r->frame && !wd_capture_is_live(r->cap)) {
      const wd_capture_file_info_t *fi =
          wd_capture_file(r->cap, r->frame->source);
      origin.pcap_filename = fi ? fi->path : NULL;
      origin.pcap_cnt = r->frame->num;
    }
    wd_eve_alert(r->opts->eve, a, fac, &origin);
  }
  if (r->opts->human)
    human_alert(r, a, fac);
}

/* ---- incidents ---- */

static void on_incident(void *user, const wd_incident_t *inc,
                        const char *what) {
  run *r = user;
  if (!r->opts->eve)
    return;
  json_t *w = json_object();
  json_object_set_new(w, "change", json_string(what));
  json_object_set_new(w, "incident", wd_incident_json(inc));
  json_t *o = json_object();
  json_object_set_new(o, "ward", w);
  wd_eve_event(r->opts->eve, "incident", r->now_ns, o);
}

/* ---- flows ---- */

static void on_flow_end(void *user, wd_flow_t *f, wd_flow_end_reason why) {
  run *r = user;
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state && r->det[i].ops->on_flow_end) {
      r->cur_det = i;
      r->det[i].ops->on_flow_end(r->det[i].state, &r->ctx, f);
    }
  r->cur_det = r->ndet;
  if (r->app)
    wd_app_flow_end(r->app, f);
  if (r->opts->eve && r->opts->flow_events)
    wd_eve_flow(r->opts->eve, f, why);
}

static void on_smb(void *user, const struct wd_smb_msg *m, const wd_flow_t *f,
                   int dir) {
  run *r = user;
  r->smb_msgs++;
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state && r->det[i].ops->on_smb) {
      r->cur_det = i;
      r->det[i].ops->on_smb(r->det[i].state, &r->ctx, m, f, dir);
    }
  r->cur_det = r->ndet;
}

/* ---- stats ---- */

static json_t *jint(uint64_t v) { return json_integer((json_int_t)v); }

static void emit_stats(run *r) {
  if (!r->opts->eve)
    return;
  json_t *st = json_object();
  json_object_set_new(st, "uptime",
                      jint(r->pkts ? (r->now_ns - r->first_ns) / NSEC : 0));
  if (wd_capture_is_live(r->cap)) {
    wd_capture_live_stats_t ls;
    if (wd_capture_live_stats(r->cap, &ls) == WD_OK) {
      json_t *c = json_object();
      json_object_set_new(c, "kernel_packets", jint(ls.received));
      json_object_set_new(c, "kernel_drops", jint(ls.dropped));
      json_object_set_new(c, "kernel_ifdrops", jint(ls.ifdropped));
      json_object_set_new(st, "capture", c);
    }
  }
  json_t *d = json_object();
  json_object_set_new(d, "pkts", jint(r->pkts));
  json_object_set_new(d, "bytes", jint(r->bytes));
  json_object_set_new(d, "invalid", jint(r->decode_errors));
  json_object_set_new(d, "ipv4", jint(r->ipv4));
  json_object_set_new(d, "ipv6", jint(r->ipv6));
  for (int i = 0; i < 5; i++)
    json_object_set_new(d, link_names[i], jint(r->by_link[i]));
  json_object_set_new(d, "vlan", jint(r->vlan));
  json_object_set_new(d, "vlan_qinq", jint(r->qinq));
  json_object_set_new(d, "tcp", jint(r->tcp));
  json_object_set_new(d, "udp", jint(r->udp));
  json_object_set_new(d, "icmpv4", jint(r->icmp4));
  json_object_set_new(d, "icmpv6", jint(r->icmp6));
  json_object_set_new(d, "avg_pkt_size",
                      jint(r->pkts ? r->bytes / r->pkts : 0));
  json_object_set_new(d, "max_pkt_size", jint(r->max_pkt));
  json_object_set_new(st, "decoder", d);

  wd_flow_stats_t fs;
  wd_flow_table_stats(r->flows, &fs);
  json_t *fl = json_object();
  json_object_set_new(fl, "total", jint(fs.created));
  json_object_set_new(fl, "active", jint(fs.active));
  json_object_set_new(fl, "tcp", jint(fs.tcp));
  json_object_set_new(fl, "udp", jint(fs.udp));
  json_object_set_new(fl, "icmpv4", jint(fs.icmp));
  json_object_set_new(fl, "memuse", jint(fs.memuse));
  json_object_set_new(fl, "memcap", jint(fs.cap_hits));
  json_object_set_new(st, "flow", fl);

  wd_table_stats_t hs;
  wd_memcap_t hm;
  wd_host_table_stats(r->hosts, &hs, &hm);
  json_t *ho = json_object();
  json_object_set_new(ho, "memuse", jint(hm.used));
  json_object_set_new(ho, "memcap", jint(hm.hits));
  json_object_set_new(st, "host", ho);

  json_t *de = json_object();
  json_object_set_new(de, "alert", jint(r->alerts));
  json_object_set_new(st, "detect", de);

  json_t *w = json_object();
  json_t *errs = json_object();
  for (int i = 1; i < WD_DECODE_ERR_COUNT; i++)
    json_object_set_new(errs, wd_decode_err_name((wd_decode_err)i),
                        jint(r->errors[i]));
  json_object_set_new(w, "decode_errors", errs);
  json_object_set_new(w, "non_ip", jint(r->non_ip));
  json_object_set_new(w, "fragments", jint(r->frags));
  json_t *wf = json_object();
  json_object_set_new(wf, "timed_out", jint(fs.timed_out));
  json_object_set_new(wf, "evicted", jint(fs.evicted));
  json_object_set_new(wf, "cap_hits", jint(fs.cap_hits));
  json_object_set_new(wf, "memcap_bytes", jint(fs.memcap));
  json_object_set_new(w, "flow", wf);
  json_t *wh = json_object();
  json_object_set_new(wh, "active", jint(hs.entries));
  json_object_set_new(wh, "evicted", jint(hs.evicted));
  json_object_set_new(wh, "timed_out", jint(hs.expired));
  json_object_set_new(wh, "cap_hits", jint(hs.cap_hits + hm.hits));
  json_object_set_new(wh, "memuse", jint(hm.used));
  json_object_set_new(w, "host", wh);
  json_t *wd = json_object();
  json_object_set_new(wd, "memuse", jint(r->detect_mc.used));
  json_object_set_new(wd, "cap_hits", jint(r->detect_mc.hits));
  json_object_set_new(w, "detect", wd);
  if (r->app) {
    wd_app_stats_t as;
    wd_app_stats(r->app, &as);
    json_t *tcp = json_object();
    json_object_set_new(tcp, "reassembly_gap", jint(as.stream.gaps));
    json_object_set_new(tcp, "overlap", jint(as.stream.overlaps));
    json_object_set_new(tcp, "reassembly_memuse", jint(as.stream.memuse));
    json_object_set_new(tcp, "segment_memcap_drop",
                        jint(as.stream.memcap_hits));
    json_object_set_new(st, "tcp", tcp);
    json_t *ap = json_object();
    json_object_set_new(ap, "smb_flows", jint(as.flows));
    json_object_set_new(ap, "smb_flows_without_state", jint(as.no_state));
    json_object_set_new(ap, "stream_segments", jint(as.stream.segments));
    json_object_set_new(ap, "stream_bytes", jint(as.stream.bytes));
    json_object_set_new(ap, "stream_retransmits", jint(as.stream.retransmits));
    json_object_set_new(ap, "stream_out_of_order", jint(as.stream.ooo_queued));
    json_object_set_new(ap, "stream_gaps", jint(as.stream.gaps));
    json_object_set_new(ap, "stream_memcap_hits", jint(as.stream.memcap_hits));
    json_object_set_new(ap, "smb1", jint(as.smb.smb1));
    json_object_set_new(ap, "smb2", jint(as.smb.smb2));
    json_object_set_new(ap, "smb3_encrypted", jint(as.smb.smb3_encrypted));
    json_object_set_new(ap, "smb_resyncs", jint(as.smb.resyncs));
    json_object_set_new(ap, "smb_bad_framing", jint(as.smb.bad_framing));
    json_object_set_new(ap, "smb_anomalies", jint(as.smb.anomalies));
    json_object_set_new(w, "app", ap);
  }
  json_object_set_new(w, "smb_messages", jint(r->smb_msgs));
  json_t *abd = json_object();
  for (size_t i = 0; i < r->ndet; i++)
    json_object_set_new(abd, r->det[i].ops->name, jint(r->det[i].alerts));
  json_object_set_new(w, "alerts_by_detector", abd);
  double secs = r->pkts ? (double)(r->now_ns - r->first_ns) / 1e9 : 0;
  json_object_set_new(w, "pps",
                      json_real(secs > 0 ? (double)r->pkts / secs : 0));
  json_object_set_new(w, "bps",
                      json_real(secs > 0 ? (double)r->bytes * 8 / secs : 0));
  json_t *files = json_array();
  for (size_t i = 0; i < wd_capture_nfiles(r->cap); i++) {
    const wd_capture_file_info_t *fi = wd_capture_file(r->cap, i);
    json_t *fo = json_object();
    json_object_set_new(fo, "path", wd_json_string(fi->path));
    json_object_set_new(fo, "packets", jint(fi->frames));
    if (fi->error[0]) {
      json_object_set_new(fo, "error", wd_json_string(fi->error));
      json_object_set_new(fo, "error_frame", jint(fi->error_frame));
    }
    json_array_append_new(files, fo);
  }
  json_object_set_new(w, "files", files);
  wd_eve_stats(r->opts->eve, r->pkts ? r->now_ns : (uint64_t)time(NULL) * NSEC,
               st, w);
}

/* ---- time ---- */

static void tick(run *r, uint64_t sec) {
  uint64_t now = sec * NSEC;
  wd_flow_table_expire(r->flows, now);
  wd_host_table_tick(r->hosts, now);
  if (r->inc)
    wd_incidents_tick(r->inc, now);
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state && r->det[i].ops->on_tick) {
      r->cur_det = i;
      r->det[i].ops->on_tick(r->det[i].state, &r->ctx, now);
    }
  r->cur_det = r->ndet;
  if (r->opts->stats_interval_s &&
      sec >= r->last_stats_sec + r->opts->stats_interval_s) {
    r->last_stats_sec = sec;
    emit_stats(r);
  }
}

static void advance_time(run *r, uint64_t ts_ns) {
  if (r->pkts == 0 && r->first_ns == 0) {
    r->first_ns = ts_ns;
    r->cur_sec = ts_ns / NSEC;
    r->last_stats_sec = r->cur_sec;
  }
  if (ts_ns <= r->now_ns)
    return; /* out-of-order frame: time never goes back */
  r->now_ns = ts_ns;
  uint64_t sec = ts_ns / NSEC;
  if (sec > r->cur_sec) {
    r->cur_sec = sec;
    tick(r, sec);
  }
}

/* ---- per frame ---- */

static void packet(run *r, const wd_frame_t *fr) {
  wd_packet_t p;
  p.ts_ns = fr->ts_ns;
  p.num = fr->num;
  p.source = fr->source;
  r->frame = fr;
  advance_time(r, fr->ts_ns);
  r->pkts++;
  r->bytes += fr->caplen;
  if (fr->caplen > r->max_pkt)
    r->max_pkt = fr->caplen;
  r->by_link[link_index(fr->linktype)]++;
  wd_rc rc = wd_decode(&p, fr->linktype, fr->data, fr->caplen, fr->wirelen);
  if (p.err != WD_DECODE_ERR_NONE) {
    r->errors[p.err]++;
    r->decode_errors++;
  }
  if (p.vlan_depth == 1)
    r->vlan++;
  else if (p.vlan_depth > 1)
    r->qinq++;
  if (p.ip_version == 0) {
    if (rc == WD_OK)
      r->non_ip++;
    return;
  }
  if (p.ip_version == 4)
    r->ipv4++;
  else
    r->ipv6++;
  if (p.fragment)
    r->frags++;
  switch (p.l4_proto) {
  case WD_PROTO_TCP:
    r->tcp++;
    break;
  case WD_PROTO_UDP:
    r->udp++;
    break;
  case WD_PROTO_ICMP:
    r->icmp4++;
    break;
  case WD_PROTO_ICMPV6:
    r->icmp6++;
    break;
  }
  int dir = WD_DIR_TO_SERVER;
  wd_flow_t *f = wd_flow_table_update(r->flows, &p, &dir);
  bool created = f && (f->pkt_events & WD_FLOW_EV_CREATED);
  bool established = f && (f->pkt_events & WD_FLOW_EV_ESTABLISHED);
  wd_host_table_update(r->hosts, &p, f, dir, created, established);
  if (r->inc)
    wd_incidents_packet(r->inc, &p, f);
  if (f && r->app && p.l4_proto == WD_PROTO_TCP && p.has_l4)
    wd_app_packet(r->app, &p, f, dir, on_smb, r);
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state && r->det[i].ops->on_packet) {
      r->cur_det = i;
      r->det[i].ops->on_packet(r->det[i].state, &r->ctx, &p, f, dir);
    }
  r->cur_det = r->ndet;
}

/* ---- progress ---- */

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "ward: N packets, A alerts, T s" and, for files of known size, the
 * share read and the time left at the rate so far. */
static void progress(run *r, double start, bool final) {
  double el = wall_now() - start;
  uint64_t done, total;
  char tail[96] = "";
  if (wd_capture_progress(r->cap, &done, &total)) {
    double share = total ? (double)done / (double)total : 1.0;
    if (share > 1.0)
      share = 1.0;
    if (final || share >= 1.0)
      snprintf(tail, sizeof tail, ", 100%% read");
    else if (share > 0)
      snprintf(tail, sizeof tail, ", %.0f%% read, about %.0f s left",
               share * 100.0, el * (1.0 - share) / share + 0.5);
  }
  fprintf(stderr,
          "\rward: %" PRIu64 " packets, %" PRIu64 " alerts, %.1f s%s  %s",
          r->pkts, r->alerts, el, tail, final ? "\n" : "");
  fflush(stderr);
}

wd_rc wd_pipeline_run(const wd_config_t *cfg, wd_capture_t *cap,
                      const wd_pipeline_opts_t *opts, wd_pipeline_result_t *res,
                      char *err, size_t errlen) {
  run *r = calloc(1, sizeof *r);
  wd_rc rc = WD_ERR_NOMEM;
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return rc;
  }
  r->cfg = cfg;
  r->opts = opts;
  r->cap = cap;
  r->sink.emit = on_alert;
  r->sink.user = r;
  if ((rc = wd_flow_table_new(cfg, on_flow_end, r, &r->flows)) != WD_OK ||
      (rc = wd_host_table_new(cfg, &r->hosts)) != WD_OK ||
      (rc = wd_app_new(cfg, &r->app)) != WD_OK) {
    snprintf(err, errlen, "cannot set up tables: %s", wd_rc_str(rc));
    goto done;
  }
  if (opts->db_path &&
      (rc = wd_incidents_new(cfg, opts->db_path, on_incident, r, &r->inc, err,
                             errlen)) != WD_OK)
    goto done;
  r->ctx.cfg = cfg;
  r->ctx.hosts = r->hosts;
  r->ctx.sink = &r->sink;
  wd_memcap_init(&r->detect_mc, "detect", cfg->detect.memcap);
  const wd_detector_ops_t *ops[WD_DETECTORS_MAX];
  size_t n = wd_detectors_list(ops, WD_DETECTORS_MAX);
  for (size_t i = 0; i < n; i++) {
    void *st = NULL;
    if ((rc = ops[i]->create(cfg, &r->detect_mc, &st)) != WD_OK) {
      snprintf(err, errlen, "cannot set up detector %s: %s", ops[i]->name,
               wd_rc_str(rc));
      goto done;
    }
    r->det[r->ndet].ops = ops[i];
    r->det[r->ndet].state = st;
    r->ndet++;
  }
  r->cur_det = r->ndet;

  double start = wall_now(), last_progress = start;
  wd_frame_t fr;
  for (;;) {
    if (opts->stop && *opts->stop) {
      wd_capture_stop(cap);
      break;
    }
    if (opts->reopen && *opts->reopen) {
      *opts->reopen = 0;
      if (opts->eve)
        wd_eve_reopen(opts->eve);
    }
    rc = wd_capture_next(cap, &fr);
    if (rc == WD_END)
      break;
    if (rc == WD_AGAIN) {
      /* Live and idle: let traffic time follow the wall clock so that
       * attacks can end and stats keep coming. */
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      if (r->pkts)
        advance_time(r, (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec);
      if (opts->eve)
        wd_eve_flush(opts->eve);
      if (opts->human)
        fflush(opts->human);
      continue;
    }
    packet(r, &fr);
    r->frame = NULL;
    if (opts->progress && (r->pkts & 0xffff) == 0) {
      double now = wall_now();
      /* The first check always prints: a long run shows its pace soon. */
      if (now - last_progress > 0.5 || r->pkts == 0x10000) {
        last_progress = now;
        progress(r, start, false);
      }
    }
  }
  rc = WD_OK;
  /* End of input: close open attacks, then flows. */
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state && r->det[i].ops->on_finish) {
      r->cur_det = i;
      r->det[i].ops->on_finish(r->det[i].state, &r->ctx, r->now_ns);
    }
  r->cur_det = r->ndet;
  wd_flow_table_flush(r->flows);
  if (r->inc && (rc = wd_incidents_finish(r->inc)) != WD_OK)
    snprintf(err, errlen, "storing incidents in %s: %s", opts->db_path,
             wd_rc_str(rc));
  emit_stats(r);
  if (opts->progress)
    progress(r, start, true);

done:
  if (res) {
    memset(res, 0, sizeof *res);
    res->packets = r->pkts;
    res->bytes = r->bytes;
    res->alerts = r->alerts;
    res->decode_errors = r->decode_errors;
    for (size_t i = 0; i < wd_capture_nfiles(cap); i++) {
      const wd_capture_file_info_t *fi = wd_capture_file(cap, i);
      if (wd_capture_file_unread(fi))
        res->files_failed++;
      else if (fi->error[0])
        res->files_partial++;
    }
  }
  for (size_t i = 0; i < r->ndet; i++)
    if (r->det[i].state)
      r->det[i].ops->destroy(r->det[i].state);
  if (r->inc)
    wd_incidents_free(r->inc);
  if (r->app)
    wd_app_free(r->app);
  if (r->hosts)
    wd_host_table_free(r->hosts);
  if (r->flows)
    wd_flow_table_free(r->flows);
  free(r);
  return rc;
}
