/* crc32c.h -- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of spool records. In: bytes. Out: the CRC; crc32c("123456789")
 * is 0xE3069283. A table of 256 entries built once (thread-safe: built by
 * pthread_once); byte at a time, fast enough at alert and frame rate. */
#ifndef WD_FLEET_CRC32C_H
#define WD_FLEET_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over len bytes. */
uint32_t wd_crc32c(uint32_t crc, const void *p, size_t len);

#endif
