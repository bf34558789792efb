/* stix.h -- STIX 2.1 bundles for ward's incidents.
 * In: a wd_notice_incident_t (borrowed). Out: a JSON text (jansson) the
 * caller frees, holding: the sender's and the recipient's identity, the
 * TLP:AMBER marking definition, an incident SDO, SCOs for the addresses
 * (ipv4-addr/ipv6-addr), their autonomous systems, the network traffic and
 * the evidence file, one observed-data over them, an indicator and a
 * sighting per reliably attributed source, and relationships tying the
 * observed data and indicators to the incident. Each threat-intelligence
 * indicator the incident matched (n->intel) is an indicator -- a STIX
 * feed's own (its id, pattern and times) when the feed gave one, else one
 * of ward's with a pattern built from the value -- and a sighting of it
 * (where_sighted_refs: the sender; observed_data_refs: the observed data,
 * which holds the matched observable). Every id is a
 * deterministic UUIDv5 (SCOs use the STIX namespace over their
 * ID-contributing properties), so sending the same notification twice
 * gives the same objects; every referenced id is in the bundle.
 * Known gap of the OASIS JSON schemas: common/bundle.json lists no schema
 * for incident (nor grouping, location, note, opinion), and an object of
 * an unlisted type is accepted only when it matches core.json but not
 * cyber-observable-core.json, which no SDO can do (they differ only in
 * descriptions). So validate.py reports the incident entry of the bundle
 * while the incident object itself passes sdos/incident.json. We keep the
 * real incident SDO rather than add a meaningless property to dodge the
 * schema; tests check that this is the only complaint. */
#ifndef WD_NOTIFY_STIX_H
#define WD_NOTIFY_STIX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"
#include "notify/notice.h"

/* Namespace of ward's own UUIDv5 ids (SDOs, SROs, the bundle). */
#define WD_STIX_NS "6f3c1a52-9b1e-4d0a-8f57-2c4e7d9b1a30"
/* STIX 2.1 namespace for deterministic SCO ids (spec section 2.9). */
#define WD_STIX_SCO_NS "00abedb4-aa42-466c-9c01-fed23315a9b7"
#define WD_STIX_TLP_AMBER                                                      \
  "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

wd_rc wd_stix_build(const wd_notice_incident_t *n, char **out, size_t *len);

/* The STIX pattern matching one observable of type (domain-name, url,
 * ipv4-addr, ipv6-addr) with this value, into out (cap bytes):
 * "[domain-name:value = 'evil.example']"; an address prefix
 * ("192.0.2.0/24") is "[ipv4-addr:value ISSUBSET '192.0.2.0/24']", a host
 * address ("192.0.2.1/32") is compared with = without its length. In the
 * string, ' and \ are escaped with a backslash (STIX 2.1 patterning,
 * 9.3). Returns false for another type or when it does not fit. */
bool wd_stix_pattern(const char *type, const char *value, char *out,
                     size_t cap);

#endif
