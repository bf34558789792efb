/* iodef.h -- IODEF 2.0 (RFC 7970) incident reports.
 * In: a wd_notice_incident_t (borrowed). Out: an XML document built with
 * libxml2's tree API (never by pasting strings), returned in a malloc'd
 * buffer the caller frees. Every Node carries an Address (erratum 5544).
 * Strings from the network are cleaned to valid UTF-8 without control
 * characters and escaped by libxml2. */
#ifndef WD_NOTIFY_IODEF_H
#define WD_NOTIFY_IODEF_H

#include <stddef.h>

#include "core/rc.h"
#include "notify/notice.h"

#define WD_IODEF_NS "urn:ietf:params:xml:ns:iodef-2.0"

/* Builds the report; *out (NUL-terminated, *len bytes) is the caller's to
 * free(). */
wd_rc wd_iodef_build(const wd_notice_incident_t *n, char **out, size_t *len);

/* Validates xml against iodef-2.0.xsd in schema_dir, offline: the
 * directory's catalog.xml maps every remote import to a local file and the
 * document is parsed with XML_PARSE_NONET. Returns WD_OK, WD_ERR_INVAL
 * (invalid; first error in err) or WD_ERR_IO (schema not loadable). */
wd_rc wd_iodef_validate(const char *xml, size_t len, const char *schema_dir,
                        char *err, size_t errlen);

#endif
