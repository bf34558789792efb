/* codec.h -- byte encodings the notification formats need: base64 (XML
 * digests, encoded words; MIME bodies are GMime's), hex digests,
 * and name-based UUIDs (RFC 9562 version 5) for STIX identifiers.
 * In: caller bytes. Out: appended to a wd_strbuf_t or written to caller
 * arrays; nothing else is allocated. */
#ifndef WD_NOTIFY_CODEC_H
#define WD_NOTIFY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "core/strbuf.h"

/* Base64 (RFC 4648) of p; wrap > 0 inserts CRLF after every wrap output
 * characters and after the last line. */
wd_rc wd_codec_base64(wd_strbuf_t *out, const void *p, size_t n, unsigned wrap);
/* Parses exactly 2*n hex digits into out; false on anything else. */
bool wd_codec_hex_decode(const char *hex, uint8_t *out, size_t n);
/* UUID version 5 of name in namespace ns ("xxxxxxxx-xxxx-5xxx-..."),
 * written to out (37 bytes with NUL). */
wd_rc wd_codec_uuid5(const char *ns, const void *name, size_t len,
                     char out[37]);

#endif
