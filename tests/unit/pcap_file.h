/* pcap_file.h -- for the unit tests (include after cmocka.h): a classic
 * pcap file (microseconds, Ethernet, little-endian) written frame by
 * frame from the test's own size and content functions, an FNV-1a hash
 * to compare frame bytes by, and a fresh temporary file name. Static
 * functions: each test file gets its own copy. */
#ifndef WD_TESTS_PCAP_FILE_H
#define WD_TESTS_PCAP_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/limits.h"

/* How frame i of a file with this salt looks: its length, its bytes, and
 * how many bytes more its record claims on the wire. */
typedef struct test_pcap_shape {
  uint32_t (*size)(uint32_t i, uint32_t salt);
  void (*fill)(uint8_t *buf, uint32_t len, uint32_t i, uint32_t salt);
  uint32_t (*wire_extra)(uint32_t i);
} test_pcap_shape;

static void test_pcap_le32(FILE *fp, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  assert_int_equal(fwrite(x, 1, 4, fp), 4);
}

/* n frames shaped by sh, frame i stamped t0 + i * step microseconds.
 * off[i] (if off) gets the file offset of record i, off[n] the file
 * size. */
static void test_pcap_write(const char *path, uint32_t n, uint32_t salt,
                            uint64_t t0, uint64_t step,
                            const test_pcap_shape *sh, long *off) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  uint8_t *buf = malloc(WD_FRAME_MAX);
  assert_non_null(buf);
  test_pcap_le32(fp, 0xa1b2c3d4);
  test_pcap_le32(fp, 2 | 4u << 16); /* version 2.4 */
  test_pcap_le32(fp, 0);
  test_pcap_le32(fp, 0);
  test_pcap_le32(fp, WD_FRAME_MAX);
  test_pcap_le32(fp, 1);
  for (uint32_t i = 0; i < n; i++) {
    if (off)
      off[i] = ftell(fp);
    uint64_t ts = t0 + (uint64_t)i * step;
    uint32_t len = sh->size(i, salt);
    sh->fill(buf, len, i, salt);
    test_pcap_le32(fp, (uint32_t)(ts / 1000000));
    test_pcap_le32(fp, (uint32_t)(ts % 1000000));
    test_pcap_le32(fp, len);
    test_pcap_le32(fp, len + sh->wire_extra(i));
    if (len)
      assert_int_equal(fwrite(buf, 1, len, fp), len);
  }
  if (off)
    off[n] = ftell(fp);
  assert_int_equal(fclose(fp), 0);
  free(buf);
}

static uint64_t test_fnv(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* A new empty file under /tmp, its name in path (at least 64 bytes). */
static void test_temp_path(char *path, size_t n) {
  snprintf(path, n, "/tmp/ward-unit-test-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
}

#endif
