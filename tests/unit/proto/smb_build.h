/* smb_build.h -- builders of NetBIOS + SMB1/SMB2 messages for the SMB
 * parser and detector tests (tests/unit/proto, tests/unit/detect).
 * Out: bytes written to a caller buffer (at least SMB_BUILD_MAX bytes);
 * each builder returns the length including the 4-byte NetBIOS header.
 * Field layouts follow MS-CIFS 2.2.4 (SMB1) and MS-SMB2 2.2.1 (SMB2). */
#ifndef WD_TESTS_SMB_BUILD_H
#define WD_TESTS_SMB_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SMB_BUILD_MAX 8192

static inline void sb_le16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void sb_le32(uint8_t *p, uint32_t v) {
  sb_le16(p, v);
  sb_le16(p + 2, v >> 16);
}

typedef struct sb_hdr {
  uint8_t cmd;
  uint32_t status;
  bool resp;
  uint16_t tid, pid, uid, mid;
  uint16_t flags2; /* 0: 0xc807 (Unicode, NT status, extended security) */
} sb_hdr;

/* NetBIOS header + SMB1 header + words + byte count + bytes. extra: body
 * bytes claimed by the NetBIOS length beyond what is written (the caller
 * streams them separately or never). */
static inline size_t sb_smb1(uint8_t *out, const sb_hdr *h,
                             const uint8_t *words, uint8_t wc,
                             const uint8_t *bytes, uint16_t bc,
                             uint32_t extra) {
  uint8_t *p = out + 4;
  memset(p, 0, 32);
  p[0] = 0xff, p[1] = 'S', p[2] = 'M', p[3] = 'B';
  p[4] = h->cmd;
  sb_le32(p + 5, h->status);
  p[9] = h->resp ? 0x98 : 0x18;
  sb_le16(p + 10, h->flags2 ? h->flags2 : 0xc807);
  sb_le16(p + 24, h->tid);
  sb_le16(p + 26, h->pid);
  sb_le16(p + 28, h->uid);
  sb_le16(p + 30, h->mid);
  p[32] = wc;
  if (wc)
    memcpy(p + 33, words, 2u * wc);
  sb_le16(p + 33 + 2 * wc, bc);
  if (bc)
    memcpy(p + 35 + 2 * wc, bytes, bc);
  uint32_t body = 35u + 2u * wc + bc;
  uint32_t nb = body + extra;
  out[0] = 0;
  out[1] = (uint8_t)(nb >> 16);
  out[2] = (uint8_t)(nb >> 8);
  out[3] = (uint8_t)nb;
  return 4 + body;
}

/* TRANSACTION (0x25) or TRANSACTION2 (0x32) request; counts are what is
 * sent, totals what is declared; parameter and data bytes are zeros. */
static inline size_t sb_trans_req(uint8_t *out, const sb_hdr *h,
                                  uint16_t setup0, uint16_t setup1,
                                  uint8_t nsetup, uint32_t timeout,
                                  uint16_t tpc, uint16_t tdc, uint16_t pc,
                                  uint16_t dc) {
  uint8_t w[2 * 16];
  memset(w, 0, sizeof w);
  uint8_t wc = (uint8_t)(14 + nsetup);
  sb_le16(w + 0, tpc);
  sb_le16(w + 2, tdc);
  sb_le16(w + 4, 1024); /* MaxParameterCount */
  sb_le16(w + 6, 4096); /* MaxDataCount */
  sb_le32(w + 12, timeout);
  uint16_t poff = (uint16_t)(32 + 1 + 2 * wc + 2); /* right after bc */
  sb_le16(w + 18, pc);
  sb_le16(w + 20, poff);
  sb_le16(w + 22, dc);
  sb_le16(w + 24, (uint16_t)(poff + pc));
  w[26] = nsetup;
  if (nsetup > 0)
    sb_le16(w + 28, setup0);
  if (nsetup > 1)
    sb_le16(w + 30, setup1);
  static uint8_t zeros[SMB_BUILD_MAX];
  return sb_smb1(out, h, w, wc, zeros, (uint16_t)(pc + dc), 0);
}

/* TRANSACTION_SECONDARY (0x26) / TRANSACTION2_SECONDARY (0x33). */
static inline size_t sb_trans_sec(uint8_t *out, const sb_hdr *h, uint16_t tpc,
                                  uint16_t tdc, uint16_t pc, uint16_t pd,
                                  uint16_t dc, uint16_t dd) {
  uint8_t w[18];
  memset(w, 0, sizeof w);
  uint8_t wc = h->cmd == 0x33 ? 9 : 8;
  uint16_t poff = (uint16_t)(32 + 1 + 2 * wc + 2);
  sb_le16(w + 0, tpc);
  sb_le16(w + 2, tdc);
  sb_le16(w + 4, pc);
  sb_le16(w + 6, poff);
  sb_le16(w + 8, pd);
  sb_le16(w + 10, dc);
  sb_le16(w + 12, (uint16_t)(poff + pc));
  sb_le16(w + 14, dd);
  static uint8_t zeros[SMB_BUILD_MAX];
  return sb_smb1(out, h, w, wc, zeros, (uint16_t)(pc + dc), 0);
}

/* NT_TRANSACT (0xa0) request with one setup word. */
static inline size_t sb_nt_trans_req(uint8_t *out, const sb_hdr *h,
                                     uint16_t function, uint32_t tpc,
                                     uint32_t tdc, uint32_t pc, uint32_t dc) {
  uint8_t w[2 * 20];
  memset(w, 0, sizeof w);
  uint8_t wc = 20;
  uint32_t poff = 32 + 1 + 2 * wc + 2;
  w[0] = 1; /* MaxSetupCount */
  sb_le32(w + 3, tpc);
  sb_le32(w + 7, tdc);
  sb_le32(w + 11, 1024);
  sb_le32(w + 15, 65536);
  sb_le32(w + 19, pc);
  sb_le32(w + 23, poff);
  sb_le32(w + 27, dc);
  sb_le32(w + 31, poff + pc);
  w[35] = 1;
  sb_le16(w + 36, function);
  static uint8_t zeros[SMB_BUILD_MAX];
  return sb_smb1(out, h, w, wc, zeros, (uint16_t)(pc + dc), 0);
}

/* NT_TRANSACT_SECONDARY (0xa1). */
static inline size_t sb_nt_trans_sec(uint8_t *out, const sb_hdr *h,
                                     uint32_t tpc, uint32_t tdc, uint32_t pc,
                                     uint32_t pd, uint32_t dc, uint32_t dd) {
  uint8_t w[36];
  memset(w, 0, sizeof w);
  uint8_t wc = 18;
  uint32_t poff = 32 + 1 + 2 * wc + 2;
  sb_le32(w + 3, tpc);
  sb_le32(w + 7, tdc);
  sb_le32(w + 11, pc);
  sb_le32(w + 15, poff);
  sb_le32(w + 19, pd);
  sb_le32(w + 23, dc);
  sb_le32(w + 27, poff + pc);
  sb_le32(w + 31, dd);
  static uint8_t zeros[SMB_BUILD_MAX];
  return sb_smb1(out, h, w, wc, zeros, (uint16_t)(pc + dc), 0);
}

/* A response with no words (errors, interim responses, DoublePulsar). */
static inline size_t sb_empty(uint8_t *out, const sb_hdr *h) {
  return sb_smb1(out, h, NULL, 0, NULL, 0, 0);
}

/* TRANSACTION/TRANSACTION2 final response carrying tpc/tdc all at once. */
static inline size_t sb_trans_resp(uint8_t *out, const sb_hdr *h, uint16_t tpc,
                                   uint16_t tdc) {
  uint8_t w[20];
  memset(w, 0, sizeof w);
  uint8_t wc = 10;
  uint16_t poff = (uint16_t)(32 + 1 + 2 * wc + 2);
  sb_le16(w + 0, tpc);
  sb_le16(w + 2, tdc);
  sb_le16(w + 6, tpc);
  sb_le16(w + 8, poff);
  sb_le16(w + 12, tdc);
  sb_le16(w + 14, (uint16_t)(poff + tpc));
  static uint8_t zeros[SMB_BUILD_MAX];
  return sb_smb1(out, h, w, wc, zeros, (uint16_t)(tpc + tdc), 0);
}

/* TREE_CONNECT_ANDX request for an ASCII path, written as UTF-16LE. */
static inline size_t sb_tree_connect(uint8_t *out, const sb_hdr *h,
                                     const char *path) {
  uint8_t w[8], b[300];
  memset(w, 0, sizeof w);
  w[0] = 0xff;       /* no AndX command */
  sb_le16(w + 6, 1); /* PasswordLength */
  size_t n = 0;
  b[n++] = 0; /* password */
  /* header offset of the path: 32 + 1 + 8 + 2 + 1 = 44, even: no pad */
  for (const char *c = path; *c && n + 2 < sizeof b - 8; c++) {
    b[n++] = (uint8_t)*c;
    b[n++] = 0;
  }
  b[n++] = 0, b[n++] = 0;
  memcpy(b + n, "?????", 6); /* service */
  n += 6;
  return sb_smb1(out, h, w, 4, b, (uint16_t)n, 0);
}

/* SMB2 header (64 bytes) with optional body bytes. */
static inline size_t sb_smb2(uint8_t *out, uint16_t cmd, bool resp,
                             uint32_t status, uint64_t msg_id, uint32_t next,
                             const uint8_t *body, uint32_t blen) {
  uint8_t *p = out + 4;
  memset(p, 0, 64);
  p[0] = 0xfe, p[1] = 'S', p[2] = 'M', p[3] = 'B';
  sb_le16(p + 4, 64);
  sb_le32(p + 8, status);
  sb_le16(p + 12, cmd);
  sb_le16(p + 14, 1);
  sb_le32(p + 16, resp ? 1 : 0);
  sb_le32(p + 20, next);
  sb_le32(p + 24, (uint32_t)msg_id);
  sb_le32(p + 28, (uint32_t)(msg_id >> 32));
  sb_le32(p + 36, 7);    /* TreeId */
  sb_le32(p + 40, 0x11); /* SessionId */
  if (blen)
    memcpy(p + 64, body, blen);
  uint32_t nb = 64 + blen;
  out[0] = 0;
  out[1] = (uint8_t)(nb >> 16);
  out[2] = (uint8_t)(nb >> 8);
  out[3] = (uint8_t)nb;
  return 4 + nb;
}

#endif
