/* fuzz_serve_route.c -- libFuzzer target for what `ward serve` makes of a
 * request's own bytes before any handler runs: the method and path (as
 * libmicrohttpd hands them over, decoded, any byte but NUL) through the
 * route table (wd_route_find: path split, {} arguments bounded), the
 * token and role names a body may carry, and the listen address of the
 * configuration. Input: "METHOD PATH\nTEXT". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/serve.h"
#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *in = malloc(size + 1);
  if (!in)
    return 0;
  memcpy(in, data, size);
  in[size] = '\0'; /* a NUL inside ends the path, as in libmicrohttpd */
  char *nl = strchr(in, '\n');
  const char *text = "";
  if (nl) {
    *nl = '\0';
    text = nl + 1;
  }
  char *sp = strchr(in, ' ');
  const char *method = "GET", *path = in;
  if (sp) {
    *sp = '\0';
    method = in;
    path = sp + 1;
  }
  char args[WD_ROUTE_ARGS][WD_SEG_MAX];
  unsigned status;
  const wd_route_t *rt = wd_route_find(method, path, args, &status);
  if (rt) {
    /* every argument is NUL-terminated within its buffer, never holds a
       '/' and is never empty */
    size_t k = 0;
    for (const char *p = rt->path; (p = strstr(p, "{}")); p += 2, k++)
      if (k >= WD_ROUTE_ARGS || !memchr(args[k], '\0', WD_SEG_MAX) ||
          strchr(args[k], '/') || !args[k][0])
        abort();
    if (status != 200)
      abort();
  } else if (status != 404 && status != 405) {
    abort();
  }
  (void)wd_token_name_ok(text);
  (void)wd_role_name(wd_role_parse(text));
  struct sockaddr_storage sa;
  unsigned len;
  char err[256];
  (void)wd_serve_parse_listen(text, &sa, &len, err, sizeof err);
  free(in);
  return 0;
}
