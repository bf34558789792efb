/* rc.c -- texts for wd_rc codes, from the one WD_RC_MAP list. */
#include "core/rc.h"

const char *wd_rc_str(wd_rc rc) {
  static const char *const text[] = {
#define WD_RC_TEXT(name, t) t,
      WD_RC_MAP(WD_RC_TEXT)
#undef WD_RC_TEXT
  };
  if ((unsigned)rc >= WD_RC_COUNT)
    return "unknown error";
  return text[rc];
}
