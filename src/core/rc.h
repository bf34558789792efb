/* rc.h -- ward's return codes and their texts.
 * Every fallible function returns wd_rc; WD_OK is 0. Codes are only ever
 * appended to WD_RC_MAP so that numbers stay stable; wd_rc_str() gives the
 * one-line text. Boundaries (config, store, notify) also fill a message. */
#ifndef WD_CORE_RC_H
#define WD_CORE_RC_H

#define WD_RC_MAP(X)                                                           \
  X(OK, "success")                                                             \
  X(AGAIN, "need more data")                                                   \
  X(ERR_NOMEM, "out of memory")                                                \
  X(ERR_INVAL, "invalid argument or input")                                    \
  X(ERR_IO, "input/output error")                                              \
  X(ERR_TRUNC, "truncated input")                                              \
  X(ERR_UNSUPPORTED, "unsupported")                                            \
  X(ERR_FULL, "table or queue full")                                           \
  X(ERR_NOTFOUND, "not found")                                                 \
  X(ERR_CONFIG, "configuration error")                                         \
  X(ERR_STATE, "operation not valid in this state")                            \
  X(END, "end of input")                                                       \
  X(ERR_PERM, "permission denied")                                             \
  X(ERR_REFUSED, "refused for good by the receiving server")                   \
  X(ERR_CONFLICT, "lost a race with another writer; run it again")

typedef enum {
#define WD_RC_ENUM(name, text) WD_##name,
  WD_RC_MAP(WD_RC_ENUM)
#undef WD_RC_ENUM
      WD_RC_COUNT
} wd_rc;

const char *wd_rc_str(wd_rc rc);

#endif
