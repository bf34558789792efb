/* smb_status_test.c -- the SESSION_SETUP outcome as src/proto/smb.c
 * exposes it: an SMB2 SESSION_SETUP response and an SMB1
 * SESSION_SETUP_ANDX response carrying STATUS_LOGON_FAILURE, an SMB2
 * STATUS_MORE_PROCESSING_REQUIRED step and success, compared against the
 * status constants of smb.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/smb.h"

typedef struct got {
  unsigned n;
  wd_smb_msg_t m;
} got;

static void collect(void *user, const wd_smb_msg_t *m) {
  got *g = user;
  g->n++;
  g->m = *m;
  g->m.bytes = NULL;
}

/* SMB2 SESSION_SETUP response, status LOGON_FAILURE. */
static uint8_t smb2_resp[] = {
    0x00, 0x00, 0x00, 0x49,             /* direct TCP: length 73 */
    0xfe, 'S',  'M',  'B',              /* SMB2 magic */
    0x40, 0x00,                         /* StructureSize 64 */
    0x01, 0x00,                         /* CreditCharge */
    0x6d, 0x00, 0x00, 0xc0,             /* Status 0xC000006D */
    0x01, 0x00,                         /* Command SESSION_SETUP */
    0x01, 0x00,                         /* CreditResponse */
    0x01, 0x00, 0x00, 0x00,             /* Flags: SERVER_TO_REDIR */
    0x00, 0x00, 0x00, 0x00,             /* NextCommand */
    0x02, 0,    0,    0,    0, 0, 0, 0, /* MessageId 2 */
    0x00, 0x00, 0x00, 0x00,             /* Reserved (ProcessId) */
    0x00, 0x00, 0x00, 0x00,             /* TreeId */
    0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, /* SessionId */
    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* Signature */
    0x09, 0x00, /* StructureSize 9 */
    0x00, 0x00, /* SessionFlags */
    0x48, 0x00, /* SecurityBufferOffset 72 */
    0x00, 0x00, /* SecurityBufferLength 0 */
    0x00,       /* Buffer */
};
#define SMB2_STATUS 12

/* SMB1 SESSION_SETUP_ANDX response, status LOGON_FAILURE, no words. */
static const uint8_t smb1_resp[] = {
    0x00, 0x00, 0x00, 0x23, /* NetBIOS: length 35 */
    0xff, 'S',  'M',  'B',  /* SMB1 magic */
    0x73,                   /* SESSION_SETUP_ANDX */
    0x6d, 0x00, 0x00, 0xc0, /* Status 0xC000006D */
    0x98,                   /* Flags: reply, case-less, canonical */
    0x01, 0xc8,             /* Flags2: NT_STATUS | unicode | ext sec */
    0x00, 0x00,             /* PIDHigh */
    0,    0,    0,    0,    0, 0, 0, 0, /* SecuritySignature */
    0x00, 0x00,                         /* Reserved */
    0x00, 0x00,                         /* TID */
    0xff, 0xfe,                         /* PIDLow */
    0x00, 0x00,                         /* UID */
    0x40, 0x00,                         /* MID */
    0x00,                               /* WordCount 0 (error response) */
    0x00, 0x00,                         /* ByteCount 0 */
};

static void test_smb2_session_setup_status(void **state) {
  (void)state;
  got g = {0};
  assert_int_equal(wd_smb_decode(smb2_resp, sizeof smb2_resp, collect, &g),
                   WD_OK);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.m.version, WD_SMB_V2);
  assert_int_equal(g.m.command, WD_SMB2_SESSION_SETUP);
  assert_true(g.m.is_response);
  assert_int_equal(g.m.status, WD_SMB_STATUS_LOGON_FAILURE);
  assert_int_equal(g.m.session_id, 0x44332211u);
  /* the NTLM challenge step and success */
  static const uint32_t more[] = {WD_SMB_STATUS_MORE_PROCESSING_REQUIRED,
                                  WD_SMB_STATUS_SUCCESS,
                                  WD_SMB_STATUS_ACCOUNT_LOCKED_OUT};
  for (unsigned i = 0; i < 3; i++) {
    smb2_resp[SMB2_STATUS] = (uint8_t)more[i];
    smb2_resp[SMB2_STATUS + 1] = (uint8_t)(more[i] >> 8);
    smb2_resp[SMB2_STATUS + 2] = (uint8_t)(more[i] >> 16);
    smb2_resp[SMB2_STATUS + 3] = (uint8_t)(more[i] >> 24);
    memset(&g, 0, sizeof g);
    wd_smb_decode(smb2_resp, sizeof smb2_resp, collect, &g);
    assert_int_equal(g.m.status, more[i]);
  }
}

static void test_smb1_session_setup_status(void **state) {
  (void)state;
  got g = {0};
  assert_int_equal(wd_smb_decode(smb1_resp, sizeof smb1_resp, collect, &g),
                   WD_OK);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.m.version, WD_SMB_V1);
  assert_int_equal(g.m.command, WD_SMB1_SESSION_SETUP_ANDX);
  assert_true(g.m.is_response);
  assert_true(g.m.flags2 & 0x4000); /* NT status form */
  assert_int_equal(g.m.status, WD_SMB_STATUS_LOGON_FAILURE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_smb2_session_setup_status),
      cmocka_unit_test(test_smb1_session_setup_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
