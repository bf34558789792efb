/* stats.c -- the stats event from a counter snapshot (see stats.h). Field
 * names follow Suricata's stats event where it has one (decoder.*, flow.*,
 * tcp.*, detect.alert); the rest lives under "ward" (docs/events.md). */
#include "output/stats.h"

#include <pcap/dlt.h>

static const char *const link_names[WD_STATS_LINKS - 1] = {
    "ethernet", "sll", "sll2", "raw", "null"};

int wd_stats_link_index(int dlt) {
  switch (dlt) {
  case DLT_EN10MB:
    return WD_STATS_LINK_ETHERNET;
  case DLT_LINUX_SLL:
    return WD_STATS_LINK_SLL;
  case DLT_LINUX_SLL2:
    return WD_STATS_LINK_SLL2;
  case DLT_RAW: /* 12 on Linux */
  case 14:      /* DLT_RAW on some BSDs */
  case 101:     /* LINKTYPE_RAW */
  case DLT_IPV4:
  case DLT_IPV6:
    return WD_STATS_LINK_RAW;
  case DLT_NULL:
  case DLT_LOOP:
    return WD_STATS_LINK_NULL;
  default:
    return WD_STATS_LINK_OTHER;
  }
}

static json_t *jint(uint64_t v) { return json_integer((json_int_t)v); }

static json_t *decoder(const wd_stats_decoder_t *c) {
  json_t *d = json_object();
  json_object_set_new(d, "pkts", jint(c->pkts));
  json_object_set_new(d, "bytes", jint(c->bytes));
  json_object_set_new(d, "invalid", jint(c->decode_errors));
  json_object_set_new(d, "ipv4", jint(c->ipv4));
  json_object_set_new(d, "ipv6", jint(c->ipv6));
  for (int i = 0; i < WD_STATS_LINKS - 1; i++)
    json_object_set_new(d, link_names[i], jint(c->by_link[i]));
  json_object_set_new(d, "vlan", jint(c->vlan));
  json_object_set_new(d, "vlan_qinq", jint(c->qinq));
  json_object_set_new(d, "tcp", jint(c->tcp));
  json_object_set_new(d, "udp", jint(c->udp));
  json_object_set_new(d, "icmpv4", jint(c->icmp4));
  json_object_set_new(d, "icmpv6", jint(c->icmp6));
  json_object_set_new(d, "avg_pkt_size",
                      jint(c->pkts ? c->bytes / c->pkts : 0));
  json_object_set_new(d, "max_pkt_size", jint(c->max_pkt));
  return d;
}

static json_t *app(const wd_app_stats_t *as) {
  json_t *ap = json_object();
  json_object_set_new(ap, "smb_flows", jint(as->flows));
  json_object_set_new(ap, "smb_flows_without_state", jint(as->no_state));
  json_object_set_new(ap, "stream_segments", jint(as->stream.segments));
  json_object_set_new(ap, "stream_bytes", jint(as->stream.bytes));
  json_object_set_new(ap, "stream_retransmits", jint(as->stream.retransmits));
  json_object_set_new(ap, "stream_out_of_order", jint(as->stream.ooo_queued));
  json_object_set_new(ap, "stream_gaps", jint(as->stream.gaps));
  json_object_set_new(ap, "stream_memcap_hits", jint(as->stream.memcap_hits));
  json_object_set_new(ap, "smb1", jint(as->smb.smb1));
  json_object_set_new(ap, "smb2", jint(as->smb.smb2));
  json_object_set_new(ap, "smb3_encrypted", jint(as->smb.smb3_encrypted));
  json_object_set_new(ap, "smb_resyncs", jint(as->smb.resyncs));
  json_object_set_new(ap, "smb_bad_framing", jint(as->smb.bad_framing));
  json_object_set_new(ap, "smb_anomalies", jint(as->smb.anomalies));
  json_object_set_new(ap, "http_requests", jint(as->http.requests));
  json_object_set_new(ap, "http_responses", jint(as->http.responses));
  json_object_set_new(ap, "http_pipeline_full", jint(as->http.pipeline_full));
  return ap;
}

static json_t *engine(const wd_stats_engine_t *e) {
  json_t *o = json_object();
  json_object_set_new(o, "queue_size", jint(e->queue_size));
  json_object_set_new(o, "queue_high_water", jint(e->queue_high_water));
  json_object_set_new(o, "waits", jint(e->waits));
  json_object_set_new(o, "frames_dropped", jint(e->frames_dropped));
  json_object_set_new(o, "flows_dropped", jint(e->flows_dropped));
  json_object_set_new(o, "ticks_dropped", jint(e->ticks_dropped));
  json_object_set_new(o, "stats_dropped", jint(e->stats_dropped));
  json_object_set_new(o, "evidence_frames", jint(e->evidence_frames));
  json_object_set_new(o, "strings_cut", jint(e->strings_cut));
  return o;
}

void wd_stats_write(wd_eve_t *eve, const wd_stats_snapshot_t *s) {
  wd_stats_write_extra(eve, s, NULL);
}

void wd_stats_write_extra(wd_eve_t *eve, const wd_stats_snapshot_t *s,
                          const wd_stats_extra_t *x) {
  if (!eve || !s)
    return;
  const wd_stats_decoder_t *c = &s->dec;
  json_t *st = json_object();
  json_object_set_new(st, "uptime", jint(s->uptime_s));
  if (s->has_live) {
    json_t *cap = json_object();
    json_object_set_new(cap, "kernel_packets", jint(s->live.received));
    json_object_set_new(cap, "kernel_drops", jint(s->live.dropped));
    json_object_set_new(cap, "kernel_ifdrops", jint(s->live.ifdropped));
    json_object_set_new(st, "capture", cap);
  }
  json_object_set_new(st, "decoder", decoder(c));

  const wd_flow_stats_t *fs = &s->flow;
  json_t *fl = json_object();
  json_object_set_new(fl, "total", jint(fs->created));
  json_object_set_new(fl, "active", jint(fs->active));
  json_object_set_new(fl, "tcp", jint(fs->tcp));
  json_object_set_new(fl, "udp", jint(fs->udp));
  json_object_set_new(fl, "icmpv4", jint(fs->icmp));
  json_object_set_new(fl, "memuse", jint(fs->memuse));
  json_object_set_new(fl, "memcap", jint(fs->cap_hits));
  json_object_set_new(st, "flow", fl);

  json_t *de = json_object();
  json_object_set_new(de, "alert", jint(c->alerts));
  json_object_set_new(st, "detect", de);

  json_t *w = json_object();
  json_t *errs = json_object();
  for (int i = 1; i < WD_DECODE_ERR_COUNT; i++)
    json_object_set_new(errs, wd_decode_err_name((wd_decode_err)i),
                        jint(c->errors[i]));
  json_object_set_new(w, "decode_errors", errs);
  json_object_set_new(w, "non_ip", jint(c->non_ip));
  json_object_set_new(w, "fragments", jint(c->frags));
  json_t *wf = json_object();
  json_object_set_new(wf, "timed_out", jint(fs->timed_out));
  json_object_set_new(wf, "evicted", jint(fs->evicted));
  json_object_set_new(wf, "cap_hits", jint(fs->cap_hits));
  json_object_set_new(wf, "memcap_bytes", jint(fs->memcap));
  json_object_set_new(w, "flow", wf);
  json_t *wd = json_object();
  json_object_set_new(wd, "memuse", jint(s->detect_mc.used));
  json_object_set_new(wd, "cap_hits", jint(s->detect_mc.hits));
  json_object_set_new(wd, "evicted", jint(s->detect_mc.evicted));
  json_t *bd = json_object();
  for (size_t i = 0; i < s->ndet && i < WD_DETECTORS_MAX; i++) {
    if (!s->det[i].name || !s->det[i].memuse)
      continue;
    json_t *d = json_object();
    json_object_set_new(d, "memuse", jint(s->det[i].memuse));
    json_object_set_new(d, "evicted", jint(s->det[i].evicted));
    json_object_set_new(bd, s->det[i].name, d);
  }
  json_object_set_new(wd, "by_detector", bd);
  json_object_set_new(w, "detect", wd);
  if (s->has_app) {
    const wd_app_stats_t *as = &s->app;
    json_t *tcp = json_object();
    json_object_set_new(tcp, "reassembly_gap", jint(as->stream.gaps));
    json_object_set_new(tcp, "overlap", jint(as->stream.overlaps));
    json_object_set_new(tcp, "reassembly_memuse", jint(as->stream.memuse));
    json_object_set_new(tcp, "segment_memcap_drop",
                        jint(as->stream.memcap_hits));
    json_object_set_new(st, "tcp", tcp);
    json_t *ap = app(as);
    wd_eve_http_stats_t hs;
    wd_eve_http_stats(eve, &hs);
    json_object_set_new(ap, "http_events_unanswered", jint(hs.unanswered));
    json_object_set_new(ap, "http_events_evicted", jint(hs.evicted));
    json_object_set_new(w, "app", ap);
  }
  json_object_set_new(w, "smb_messages", jint(c->smb_msgs));
  json_t *abd = json_object();
  for (size_t i = 0; i < s->ndet && i < WD_DETECTORS_MAX; i++)
    json_object_set_new(abd, s->det[i].name, jint(s->det[i].alerts));
  json_object_set_new(w, "alerts_by_detector", abd);
  json_object_set_new(
      w, "pps", json_real(s->span_s > 0 ? (double)c->pkts / s->span_s : 0));
  json_object_set_new(
      w, "bps",
      json_real(s->span_s > 0 ? (double)c->bytes * 8 / s->span_s : 0));
  json_object_set_new(w, "engine", engine(&s->engine));
  if (x && x->name) {
    json_t *xo = json_object();
    for (size_t i = 0; i < x->n && i < WD_STATS_EXTRA_MAX; i++)
      json_object_set_new(xo, x->c[i].name, jint(x->c[i].v));
    if (x->state)
      json_object_set_new(xo, "state", json_string(x->state));
    json_object_set_new(w, x->name, xo);
  }
  json_t *files = json_array();
  for (size_t i = 0; i < s->nfiles; i++) {
    const wd_stats_file_t *fi = &s->files[i];
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
  wd_eve_stats(eve, s->ts_ns, st, w);
}
