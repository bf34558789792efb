/* fuzz_capture.c -- libFuzzer target for ward's capture file reader
 * (src/capture/capture_file.c through wd_capture_open_stream): the input
 * is a whole pcap or pcapng file. Besides the sanitizers' checks, aborts
 * when the reader breaks its contract: a frame longer than WD_FRAME_MAX or
 * than the file, frame numbers out of step, a refused link type delivered,
 * more bytes consumed than the file has. Link type 4242 is refused so that
 * the skipping path is fuzzed too. No memory kept. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture/capture.h"
#include "core/limits.h"

#define REFUSED 4242

static bool accept(void *user, const char *path, uint32_t iface, int lt) {
  (void)user;
  (void)path;
  (void)iface;
  return lt != REFUSED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  FILE *fp = fmemopen((void *)data, size, "rb");
  if (!fp)
    return 0;
  wd_capture_opts_t o = {accept, NULL};
  wd_capture_t *c = NULL;
  wd_capture_open_stream(fp, "fuzz", &o, &c);
  if (c) {
    wd_frame_t f;
    uint64_t n = 0, bytes = 0;
    while (wd_capture_next(c, &f) == WD_OK) {
      n++;
      if (f.caplen > WD_FRAME_MAX || f.caplen > size || f.num != n ||
          f.linktype == REFUSED)
        abort();
      /* Touch every byte: an out-of-bounds frame trips ASan here. */
      for (uint32_t i = 0; i < f.caplen; i++)
        bytes += f.data[i];
    }
    const wd_capture_file_info_t *fi = wd_capture_file(c, 0);
    if (fi->frames != n || fi->offset > size)
      abort();
    (void)bytes;
    wd_capture_close(c);
  }
  fclose(fp);
  return 0;
}
