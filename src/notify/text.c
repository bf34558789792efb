/* text.c -- plain-text notifications (see text.h).
 * Every string from the notice goes through wd_notice_clean() (one line,
 * valid UTF-8, no control characters) before it is written. */
#include "notify/text.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "detect/detector.h"

static const char *cl(const char *s, char buf[WD_NOTICE_STR_MAX],
                      const char *dflt) {
  return wd_notice_cleans(s, buf, WD_CLEAN_ONELINE, dflt);
}

static const char *proto_name(uint8_t p) {
  switch (p) {
  case 6:
    return "tcp";
  case 17:
    return "udp";
  case 1:
    return "icmp";
  case 58:
    return "icmpv6";
  default:
    return NULL;
  }
}

/* Most common country / AS among the sources, for the subject. */
static const wd_notice_attacker_t *main_source(const wd_notice_incident_t *n) {
  for (size_t i = 0; i < n->n_attackers; i++)
    if (n->attackers[i].attribution_reliable)
      return &n->attackers[i];
  return n->n_attackers ? &n->attackers[0] : NULL;
}

static const char *sector_of(const wd_notice_incident_t *n) {
  for (size_t i = 0; i < n->n_targets; i++)
    if (n->targets[i].sector)
      return n->targets[i].sector;
  return NULL;
}

wd_rc wd_text_subject(const wd_notice_incident_t *n, char *out, size_t len) {
  char raw[WD_TEXT_SUBJECT_MAX * 2], b1[WD_NOTICE_STR_MAX],
      b2[WD_NOTICE_STR_MAX], kind[64];
  size_t o = 0;
  if (!n->id || len < 32)
    return WD_ERR_INVAL;
  snprintf(kind, sizeof kind, "%s", wd_notice_kind_name(wd_notice_kind_of(n)));
  kind[0] = (char)toupper((unsigned char)kind[0]);
  const wd_notice_attacker_t *a = main_source(n);
  bool shown = a && a->attribution_reliable && !wd_notice_is_internal_party(n);
  if (shown && a->role == WD_NOTICE_ROLE_REFLECTOR) {
    /* the reflectors' operators are told their servers are abused, not
       accused of the attack */
    wd_notice_catf(raw, sizeof raw, &o, "[%s] %sReflectors", cl(n->id, b1, "?"),
                   n->reminder ? "Reminder: " : "");
    if (a->asn)
      wd_notice_catf(raw, sizeof raw, &o, " in AS%" PRIu32, a->asn);
    if (wd_notice_country_ok(a->country))
      wd_notice_catf(raw, sizeof raw, &o, " (%s)", a->country);
    kind[0] = (char)tolower((unsigned char)kind[0]);
    wd_notice_catf(raw, sizeof raw, &o, " abused for a %s", kind);
  } else {
    wd_notice_catf(raw, sizeof raw, &o, "[%s] %s%s", cl(n->id, b1, "?"),
                   n->reminder ? "Reminder: " : "", kind);
    if (shown && a->asn)
      wd_notice_catf(raw, sizeof raw, &o, " from AS%" PRIu32, a->asn);
    if (shown && wd_notice_country_ok(a->country))
      wd_notice_catf(raw, sizeof raw, &o, " (%s)", a->country);
  }
  const char *sector = cl(sector_of(n), b2, NULL);
  if (sector)
    wd_notice_catf(raw, sizeof raw, &o, " against a %s facility", sector);
  size_t cap = len < WD_TEXT_SUBJECT_MAX + 1 ? len : WD_TEXT_SUBJECT_MAX + 1;
  wd_notice_clean(raw, o, out, cap, WD_CLEAN_ONELINE);
  return WD_OK;
}

static const char *ask(const wd_notice_incident_t *n, wd_notice_kind k) {
  if (wd_notice_is_internal_party(n)) {
    switch (k) {
    case WD_NOTICE_WORM:
    case WD_NOTICE_COMPROMISE:
      return "- Isolate the listed hosts from the network now.\n"
             "- Remove the implant, install MS17-010 and disable SMBv1 "
             "before reconnecting them.\n"
             "- Check the other hosts they reached over TCP/445.\n";
    default:
      return "- Investigate the listed hosts and tell us what you find.\n";
    }
  }
  switch (k) {
  case WD_NOTICE_COMPROMISE:
  case WD_NOTICE_WORM:
  case WD_NOTICE_EXPLOIT:
    return "- Identify the owners of the source addresses listed above.\n"
           "- Have the hosts isolated and cleaned: they are very probably\n"
           "  compromised and attack other networks.\n"
           "- Tell us what you found and did (reply to this message).\n";
  case WD_NOTICE_DDOS:
    return "- Check the listed hosts: open reflectors/amplifiers (DNS, NTP,\n"
           "  memcached, SSDP, ...) should be closed or rate-limited.\n"
           "- Sources marked as probably spoofed are NOT accused: please\n"
           "  check whether your networks apply source address validation\n"
           "  (BCP 38) instead.\n"
           "- Tell us what you found and did (reply to this message).\n";
  case WD_NOTICE_SCAN:
    return "- Identify the owners of the source addresses listed above and\n"
           "  have the scanning stopped.\n"
           "- Tell us what you found and did (reply to this message).\n";
  case WD_NOTICE_OTHER:
    break;
  }
  return "- Investigate the listed addresses and tell us what you found.\n";
}

wd_rc wd_text_body(const wd_notice_incident_t *n, bool attached_pcap,
                   const char *attached_doc, wd_strbuf_t *b) {
  char b1[WD_NOTICE_STR_MAX], b2[WD_NOTICE_STR_MAX], bs[WD_NOTICE_STR_MAX],
      t1[32], t2[32], ip[WD_ADDR_STRLEN];
  wd_notice_kind k = wd_notice_kind_of(n);
  bool internal = wd_notice_is_internal_party(n);
  const char *id = cl(n->id, b2, "?");
  char ref[64];
  snprintf(ref, sizeof ref, "%s", id);

  wd_strbuf_printf(b, "Dear %s,\n\n", cl(n->party.name, b1, "colleagues"));
  if (n->reminder) {
    wd_strbuf_printf(
        b,
        "This is a reminder of our notification of %s%s%s%s about the\n"
        "incident below. We have not received a reply so far.\n\n",
        wd_notice_time_human(n->first_sent_ns, t1, sizeof t1),
        n->first_message_id ? " (Message-ID " : "",
        n->first_message_id ? cl(n->first_message_id, b1, "") : "",
        n->first_message_id ? ")" : "");
  }
  wd_strbuf_printf(b, "%s observed a %s ", cl(n->sender_name, b1, "Our team"),
                   wd_notice_kind_name(k));
  const char *sector = cl(sector_of(n), bs, NULL);
  if (sector)
    wd_strbuf_printf(b, "against a facility of the %s sector", sector);
  else
    wd_strbuf_puts(b, "against a facility we protect");
  if (internal)
    wd_strbuf_puts(b, ",\ninside your own network.\n\n");
  else
    wd_strbuf_puts(b, ",\ncoming from addresses your team is responsible "
                      "for.\n\n");

  wd_strbuf_printf(b,
                   "Reference:  %s  (please keep [%s] in the subject of "
                   "your reply)\n",
                   ref, ref);
  wd_strbuf_printf(b, "What:       %s (%s/%s), severity %s\n",
                   wd_notice_kind_name(k), cl(n->rsit_class, b1, "other"),
                   cl(n->rsit_type, b2, "other"),
                   n->severity ? n->severity : "medium");
  wd_strbuf_printf(b, "When (UTC): %s to %s\n",
                   wd_notice_time_human(n->first_seen_ns, t1, sizeof t1),
                   n->ongoing
                       ? "now (still going on)"
                       : wd_notice_time_human(n->last_seen_ns, t2, sizeof t2));
  wd_strbuf_printf(b, "Volume:     %" PRIu64 " alert(s), %" PRIu64 " packet(s)",
                   n->alerts, n->packets);
  if (n->peak_pps)
    wd_strbuf_printf(b, ", peak %" PRIu64 " packets/s", n->peak_pps);
  if (n->peak_bps)
    wd_strbuf_printf(b, ", %.1f Mbit/s", (double)n->peak_bps / 1e6);
  wd_strbuf_puts(b, "\n");
  if (n->party.matched_by)
    wd_strbuf_printf(b, "Why you:    %s\n", cl(n->party.matched_by, b1, ""));

  /* Targets: sector always; public addresses; names only internally. */
  wd_strbuf_puts(b, "\nTargeted:\n");
  size_t shown = 0, withheld = 0;
  for (size_t i = 0; i < n->n_targets; i++) {
    const wd_notice_target_t *t = &n->targets[i];
    if (!wd_notice_target_disclosed(n, t)) {
      withheld++;
      continue;
    }
    if (shown++ >= 16)
      continue;
    wd_strbuf_printf(b, "  %-39s", wd_addr_str(&t->ip, ip));
    if (t->port)
      wd_strbuf_printf(b, " port %u/%s", (unsigned)t->port,
                       proto_name(n->proto) ? proto_name(n->proto) : "?");
    if (internal && t->facility && wd_notice_name_disclosed(n, t->facility))
      wd_strbuf_printf(b, "  %s", cl(t->facility, b1, ""));
    wd_strbuf_puts(b, "\n");
  }
  if (shown > 16)
    wd_strbuf_printf(b, "  ... and %zu more\n", shown - 16);
  if (withheld)
    wd_strbuf_printf(b,
                     "  %zu internal host(s) of a %s-sector facility "
                     "(addresses withheld)\n",
                     withheld, sector ? sector : "protected");

  size_t na = n->n_attackers < WD_NOTICE_ADDRS_MAX ? n->n_attackers
                                                   : WD_NOTICE_ADDRS_MAX;
  wd_strbuf_printf(b, "\n%s (%zu):\n",
                   k == WD_NOTICE_WORM ? "Infected hosts, in order of infection"
                   : k == WD_NOTICE_DDOS ? "Sources and reflectors"
                                         : "Source addresses",
                   n->n_attackers);
  for (size_t i = 0; i < na; i++) {
    const wd_notice_attacker_t *a = &n->attackers[i];
    wd_strbuf_printf(b, "  %-39s", wd_addr_str(&a->ip, ip));
    if (a->asn)
      wd_strbuf_printf(b, " AS%" PRIu32, a->asn);
    if (a->as_org)
      wd_strbuf_printf(b, " %s", cl(a->as_org, b1, ""));
    if (wd_notice_country_ok(a->country))
      wd_strbuf_printf(b, ", %s", a->country);
    if (a->role == WD_NOTICE_ROLE_REFLECTOR)
      wd_strbuf_puts(b, " [abused reflector]");
    if (a->infected_by)
      wd_strbuf_printf(b, " [infected by %s]", cl(a->infected_by, b1, "?"));
    if (!a->attribution_reliable)
      wd_strbuf_printf(b, " [probably spoofed, not accused: %s]",
                       cl(a->reason, b1, "attribution unreliable"));
    wd_strbuf_puts(b, "\n");
  }
  if (n->n_attackers > na)
    wd_strbuf_printf(b, "  ... and %zu more (all in the evidence capture)\n",
                     n->n_attackers - na);
  if (n->n_other_sources)
    wd_strbuf_printf(b,
                     "  (%zu more in networks of other parties, who are told "
                     "separately)\n",
                     n->n_other_sources);
  if (n->n_unknown_sources)
    wd_strbuf_printf(b,
                     "  (%zu more in networks for which we know no "
                     "contact)\n",
                     n->n_unknown_sources);
  if (n->n_withheld_sources)
    wd_strbuf_printf(b, "  (%zu internal host(s) of the facility, withheld)\n",
                     n->n_withheld_sources);

  size_t nd = n->n_details < WD_NOTICE_DETAILS_MAX ? n->n_details
                                                   : WD_NOTICE_DETAILS_MAX;
  if (nd) {
    wd_strbuf_puts(b, "\nObserved details (as seen on the wire):\n");
    for (size_t i = 0; i < nd; i++)
      wd_strbuf_printf(b, "  - %s\n", cl(n->details[i], b1, "?"));
  }

  if (n->n_intel)
    wd_strbuf_puts(b, "\nThreat-intelligence indicators matched:\n");
  for (size_t i = 0; i < n->n_intel; i++) {
    char line[4 * WD_NOTICE_STR_MAX];
    wd_notice_intel_line(&n->intel[i], line, sizeof line);
    wd_strbuf_printf(b, "  - %s\n", line);
  }
  if (n->n_intel_withheld)
    wd_strbuf_printf(b,
                     "  (%zu more naming internal hosts of the facility, "
                     "withheld)\n",
                     n->n_intel_withheld);

  const wd_detector_ref_t *refs[WD_NOTICE_REFS_MAX];
  size_t nr = wd_notice_refs(n, refs, WD_NOTICE_REFS_MAX);
  if (nr)
    wd_strbuf_puts(b, "\nReferences:\n");
  for (size_t i = 0; i < nr; i++) {
    const char *rid = refs[i]->id, *title = refs[i]->title;
    wd_strbuf_printf(b, "  - %s%s%s\n    %s\n", rid ? rid : "",
                     rid && title ? ": " : "", title ? title : "",
                     refs[i]->url);
  }

  wd_strbuf_puts(b, "\nEvidence:\n");
  if (wd_notice_sha256_ok(n->evidence_sha256)) {
    wd_strbuf_printf(b, "  Packet capture excerpt %s",
                     cl(wd_notice_evidence_name(n), b1, "(pcap)"));
    if (n->evidence_bytes)
      wd_strbuf_printf(b, " (%" PRIu64 " bytes)", n->evidence_bytes);
    wd_strbuf_printf(b, ",\n  SHA-256 %s\n  %s\n", n->evidence_sha256,
                     attached_pcap ? "attached to this message."
                                   : "available on request.");
    if (n->evidence_rewritten)
      wd_strbuf_puts(b, "  The facility's internal addresses in it are "
                        "replaced by placeholders from\n"
                        "  the documentation networks (RFC 5737, RFC 9637), "
                        "the same placeholder\n"
                        "  for the same host throughout.\n");
  } else if (n->evidence_withheld) {
    wd_strbuf_puts(b, "  Alert records. The packet capture is not sent to "
                      "your organization;\n  ask us if you need it.\n");
  } else {
    wd_strbuf_puts(b, "  Alert records; packet excerpt available on "
                      "request.\n");
  }
  if (attached_doc)
    wd_strbuf_printf(b,
                     "  The attached %s document carries the same "
                     "information for your tools.\n",
                     attached_doc);

  wd_strbuf_printf(b, "\nWhat we ask you to do:\n%s", ask(n, k));
  if (n->party.deadline_hours)
    wd_strbuf_printf(b, "- Please answer within %u hours.\n",
                     (unsigned)n->party.deadline_hours);
  wd_strbuf_printf(b,
                   "\nPlease reply to this message and keep [%s] in the "
                   "subject.\n\nRegards,\n%s\n",
                   ref, cl(n->sender_name, b1, ""));
  if (wd_notice_email_ok(n->sender_email))
    wd_strbuf_printf(b, "%s\n", n->sender_email);
  wd_strbuf_puts(b, "\nTLP:AMBER - share only with those in your "
                    "organization and clients who need to know.\n");
  return wd_strbuf_rc(b);
}
