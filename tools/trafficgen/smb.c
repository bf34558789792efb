/* smb.c -- NetBIOS session messages carrying SMB1 and SMB2, written from
 * [MS-CIFS], [MS-SMB] and [MS-SMB2] and RFC 1002: the SMB1 commands the
 * MS17-010 exploits and DoublePulsar use (NEGOTIATE, SESSION_SETUP_ANDX,
 * TREE_CONNECT_ANDX, NT_TRANSACT, TRANSACTION2 and its SECONDARY, ECHO,
 * TREE_DISCONNECT, LOGOFF_ANDX) and a benign SMB2 session (NEGOTIATE,
 * SESSION_SETUP, TREE_CONNECT, CREATE, READ, WRITE, CLOSE, TREE_DISCONNECT,
 * LOGOFF). In: header fields. Out: one complete message in a tg_msg_t:
 * literal header bytes, then filler for data the parsers need not see
 * (file contents, security blobs, exploit buffers); the NetBIOS length
 * always counts both, so framing stays exact. */
#include "tg.h"

#define FILETIME_EPOCH 116444736000000000ULL /* 1601 -> 1970, 100 ns */

static tg_buf_t nb_start(tg_msg_t *m) {
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put32be(&b, 0); /* NetBIOS session message header, length below */
  return b;
}

static bool nb_finish(tg_msg_t *m, tg_buf_t *b, uint32_t extra, int fill) {
  if (b->over)
    return false;
  uint32_t nb = (uint32_t)b->len - 4 + extra;
  if (nb > 0xffffff) /* SMB2's stream length has 24 bits ([MS-SMB2] 2.1) */
    return false;
  b->p[0] = 0x00; /* session message */
  b->p[1] = (uint8_t)(nb >> 16);
  b->p[2] = (uint8_t)(nb >> 8);
  b->p[3] = (uint8_t)nb;
  tg_tcp_msg_done(m, b, extra, fill);
  return true;
}

/* SMB1 header, 32 bytes ([MS-CIFS] 2.2.3.1). */
static void smb1_hdr(tg_buf_t *b, const tg_smb1_t *h) {
  tg_put(b, "\xffSMB", 4);
  tg_put8(b, h->cmd);
  tg_put32le(b, h->status);
  /* Flags: canonicalized paths + case insensitive, reply bit 0x80 */
  tg_put8(b, (uint8_t)(h->reply ? 0x98 : 0x18));
  tg_put16le(b, h->flags2 ? h->flags2 : 0xc007);
  tg_put16le(b, 0);     /* PIDHigh */
  tg_put(b, h->sig, 8); /* SecurityFeatures */
  tg_put16le(b, 0);     /* Reserved */
  tg_put16le(b, h->tid);
  tg_put16le(b, h->pid);
  tg_put16le(b, h->uid);
  tg_put16le(b, h->mid);
}

/* Offset of the next byte from the start of the SMB header. */
static uint16_t smb_off(const tg_buf_t *b) { return (uint16_t)(b->len - 4); }

bool tg_smb1_negotiate_req(tg_msg_t *m, const tg_smb1_t *h, bool smb2_too) {
  static const char *const dialects[] = {"PC NETWORK PROGRAM 1.0",
                                         "LANMAN1.0",
                                         "Windows for Workgroups 3.1a",
                                         "LM1.2X002",
                                         "LANMAN2.1",
                                         "NT LM 0.12",
                                         "SMB 2.002",
                                         "SMB 2.???"};
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 0); /* WordCount */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  int n = smb2_too ? 8 : 6;
  for (int i = 0; i < n; i++) {
    tg_put8(&b, 0x02); /* dialect buffer format */
    tg_put(&b, dialects[i], strlen(dialects[i]) + 1);
  }
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_negotiate_resp(tg_msg_t *m, const tg_smb1_t *h, uint64_t now_ns,
                            tg_rng_t *r) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 17);
  tg_put16le(&b, 5);          /* DialectIndex: "NT LM 0.12" */
  tg_put8(&b, 0x03);          /* SecurityMode: user level, encrypt */
  tg_put16le(&b, 50);         /* MaxMpxCount */
  tg_put16le(&b, 1);          /* MaxNumberVcs */
  tg_put32le(&b, 16644);      /* MaxBufferSize */
  tg_put32le(&b, 65536);      /* MaxRawSize */
  tg_put32le(&b, 0);          /* SessionKey */
  tg_put32le(&b, 0x0001e3fc); /* Capabilities */
  tg_put64le(&b, now_ns / 100 + FILETIME_EPOCH);
  tg_put16le(&b, 0); /* ServerTimeZone */
  tg_put8(&b, 8);    /* ChallengeLength */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  uint8_t ch[8];
  tg_rng_bytes(r, ch, 8);
  tg_put(&b, ch, 8);
  tg_pututf16(&b, "WORKGROUP", true);
  tg_pututf16(&b, "IMAGING", true);
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_session_setup_req(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 13);
  tg_put8(&b, 0xff); /* AndXCommand: none */
  tg_put8(&b, 0);
  size_t andx = b.len;
  tg_put16le(&b, 0);
  tg_put16le(&b, 4356); /* MaxBufferSize */
  tg_put16le(&b, 10);   /* MaxMpxCount */
  tg_put16le(&b, 0);    /* VcNumber */
  tg_put32le(&b, 0);    /* SessionKey */
  tg_put16le(&b, 0);    /* OEMPasswordLen: anonymous */
  tg_put16le(&b, 0);    /* UnicodePasswordLen */
  tg_put32le(&b, 0);
  tg_put32le(&b, 0x000000d4); /* Capabilities */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  if (smb_off(&b) & 1)
    tg_put8(&b, 0);          /* Unicode strings are 2-byte aligned */
  tg_pututf16(&b, "", true); /* AccountName */
  tg_pututf16(&b, "", true); /* PrimaryDomain */
  tg_pututf16(&b, "Windows 2000 2195", true);
  tg_pututf16(&b, "Windows 2000 5.0", true);
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  tg_set16le(&b, andx, smb_off(&b));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_session_setup_resp(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 3);
  tg_put8(&b, 0xff);
  tg_put8(&b, 0);
  size_t andx = b.len;
  tg_put16le(&b, 0);
  tg_put16le(&b, 0); /* Action */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  if (smb_off(&b) & 1)
    tg_put8(&b, 0);
  tg_pututf16(&b, "Windows 7 Professional 7601 Service Pack 1", true);
  tg_pututf16(&b, "Windows 7 Professional 6.1", true);
  tg_pututf16(&b, "WORKGROUP", true);
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  tg_set16le(&b, andx, smb_off(&b));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_tree_connect_req(tg_msg_t *m, const tg_smb1_t *h,
                              const char *path) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 4);
  tg_put8(&b, 0xff);
  tg_put8(&b, 0);
  size_t andx = b.len;
  tg_put16le(&b, 0);
  tg_put16le(&b, 0x0008); /* Flags: extended response */
  tg_put16le(&b, 1);      /* PasswordLength */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  tg_put8(&b, 0); /* Password */
  if (smb_off(&b) & 1)
    tg_put8(&b, 0);
  tg_pututf16(&b, path, true);
  tg_put(&b, "?????", 6); /* Service: any type, OEM string */
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  tg_set16le(&b, andx, smb_off(&b));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_tree_connect_resp(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 7);
  tg_put8(&b, 0xff);
  tg_put8(&b, 0);
  size_t andx = b.len;
  tg_put16le(&b, 0);
  tg_put16le(&b, 0x0001);     /* OptionalSupport: search bits */
  tg_put32le(&b, 0x001f01ff); /* MaximalShareAccessRights */
  tg_put32le(&b, 0x001f01ff); /* GuestMaximalShareAccessRights */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  tg_put(&b, "IPC", 4);
  tg_pututf16(&b, "", true); /* NativeFileSystem */
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  tg_set16le(&b, andx, smb_off(&b));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_nt_trans_req(tg_msg_t *m, const tg_smb1_t *h, uint32_t total_data,
                          uint32_t data_count) {
  const uint16_t nparam = 30;
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 20);            /* 19 + SetupCount */
  tg_put8(&b, 1);             /* MaxSetupCount */
  tg_put16le(&b, 0);          /* Reserved1 */
  tg_put32le(&b, nparam);     /* TotalParameterCount */
  tg_put32le(&b, total_data); /* TotalDataCount: declared */
  tg_put32le(&b, nparam);     /* MaxParameterCount */
  tg_put32le(&b, 0);          /* MaxDataCount */
  tg_put32le(&b, nparam);     /* ParameterCount */
  size_t poff = b.len;
  tg_put32le(&b, 0);          /* ParameterOffset, below */
  tg_put32le(&b, data_count); /* DataCount: carried here */
  size_t doff = b.len;
  tg_put32le(&b, 0); /* DataOffset, below */
  tg_put8(&b, 1);    /* SetupCount */
  tg_put16le(&b, 0); /* Function: 0 (not a defined one) */
  tg_put16le(&b, 0); /* Setup[0] */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  while (smb_off(&b) & 3)
    tg_put8(&b, 0);
  tg_set32le(&b, poff, smb_off(&b));
  tg_putz(&b, nparam);
  while (smb_off(&b) & 3)
    tg_put8(&b, 0);
  tg_set32le(&b, doff, smb_off(&b));
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2 + data_count));
  return nb_finish(m, &b, data_count, TG_FILL_ZERO);
}

bool tg_smb1_trans2_secondary(tg_msg_t *m, const tg_smb1_t *h,
                              uint16_t data_count, uint16_t displacement) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 9);
  tg_put16le(&b, 0);          /* TotalParameterCount */
  tg_put16le(&b, data_count); /* TotalDataCount */
  tg_put16le(&b, 0);          /* ParameterCount */
  tg_put16le(&b, 0);          /* ParameterOffset */
  tg_put16le(&b, 0);          /* ParameterDisplacement */
  tg_put16le(&b, data_count); /* DataCount */
  size_t doff = b.len;
  tg_put16le(&b, 0);            /* DataOffset */
  tg_put16le(&b, displacement); /* DataDisplacement */
  tg_put16le(&b, 0);            /* FID */
  tg_put16le(&b, data_count);   /* ByteCount */
  tg_set16le(&b, doff, smb_off(&b));
  return nb_finish(m, &b, data_count, TG_FILL_RAND);
}

bool tg_smb1_trans2_ping(tg_msg_t *m, const tg_smb1_t *h, uint32_t timeout) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 15);
  tg_put16le(&b, 12); /* TotalParameterCount */
  tg_put16le(&b, 0);  /* TotalDataCount */
  tg_put16le(&b, 1);  /* MaxParameterCount */
  tg_put16le(&b, 0);  /* MaxDataCount */
  tg_put8(&b, 0);     /* MaxSetupCount */
  tg_put8(&b, 0);
  tg_put16le(&b, 0);       /* Flags */
  tg_put32le(&b, timeout); /* Timeout: the implant's opcode lives here */
  tg_put16le(&b, 0);
  tg_put16le(&b, 12); /* ParameterCount */
  size_t poff = b.len;
  tg_put16le(&b, 0);
  tg_put16le(&b, 0); /* DataCount */
  size_t doff = b.len;
  tg_put16le(&b, 0);
  tg_put8(&b, 1); /* SetupCount */
  tg_put8(&b, 0);
  tg_put16le(&b, 0x000e); /* Setup[0]: TRANS2_SESSION_SETUP */
  size_t bc = b.len;
  tg_put16le(&b, 0);
  tg_put8(&b, 0); /* pad */
  tg_set16le(&b, poff, smb_off(&b));
  tg_putz(&b, 12);
  tg_set16le(&b, doff, smb_off(&b));
  tg_set16le(&b, bc, (uint16_t)(b.len - bc - 2));
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_empty_resp(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 0);
  tg_put16le(&b, 0);
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_simple_req(tg_msg_t *m, const tg_smb1_t *h) {
  return tg_smb1_empty_resp(m, h);
}

bool tg_smb1_trans2_resp(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 10);
  tg_put16le(&b, 0);  /* TotalParameterCount */
  tg_put16le(&b, 0);  /* TotalDataCount */
  tg_put16le(&b, 0);  /* Reserved */
  tg_put16le(&b, 0);  /* ParameterCount */
  tg_put16le(&b, 56); /* ParameterOffset */
  tg_put16le(&b, 0);
  tg_put16le(&b, 0);  /* DataCount */
  tg_put16le(&b, 56); /* DataOffset */
  tg_put16le(&b, 0);
  tg_put8(&b, 0); /* SetupCount */
  tg_put8(&b, 0);
  tg_put16le(&b, 0); /* ByteCount */
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_echo(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 1);
  tg_put16le(&b, 1); /* EchoCount (request) / SequenceNumber (reply) */
  tg_put16le(&b, 12);
  tg_put(&b, "ward-echo-00", 12);
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb1_logoff(tg_msg_t *m, const tg_smb1_t *h) {
  tg_buf_t b = nb_start(m);
  smb1_hdr(&b, h);
  tg_put8(&b, 2);
  tg_put8(&b, 0xff);
  tg_put8(&b, 0);
  tg_put16le(&b, 39); /* AndXOffset: end of this message */
  tg_put16le(&b, 0);
  return nb_finish(m, &b, 0, TG_FILL_ZERO);
}

bool tg_smb_groom(tg_msg_t *m) {
  tg_buf_t b = tg_tcp_msg_buf(m);
  tg_put32be(&b, 0x0000fff7); /* NetBIOS: session message, 65527 bytes */
  tg_put(&b, "\xfeSMB", 4);   /* looks like an SMB2 header ... */
  tg_putz(&b, 60);            /* ... whose fields are all zero */
  if (b.over)
    return false;
  tg_tcp_msg_done(m, &b, 0xfff7 - 64, TG_FILL_ZERO);
  return true;
}

/* ---- SMB2 -------------------------------------------------------------- */

static void smb2_hdr(tg_buf_t *b, const tg_smb2_t *h, uint16_t credit) {
  tg_put(b, "\xfeSMB", 4);
  tg_put16le(b, 64); /* StructureSize */
  tg_put16le(b, 1);  /* CreditCharge */
  tg_put32le(b, h->status);
  tg_put16le(b, h->cmd);
  tg_put16le(b, credit);
  tg_put32le(b, (h->reply ? 0x1u : 0) | (h->signed_ ? 0x8u : 0));
  tg_put32le(b, 0); /* NextCommand */
  tg_put64le(b, h->mid);
  tg_put32le(b, 0xfeff); /* Reserved / ProcessId */
  tg_put32le(b, h->tid);
  tg_put64le(b, h->sid);
  if (h->signed_)
    tg_put(b, h->sig, 16);
  else
    tg_putz(b, 16);
}

static void spnego_blob(tg_buf_t *b, bool ntlm, uint8_t ntlm_type) {
  /* GSS-API InitialContextToken with the SPNEGO OID 1.3.6.1.5.5.2 */
  static const uint8_t gss[] = {0x60, 0x48, 0x06, 0x06, 0x2b,
                                0x06, 0x01, 0x05, 0x05, 0x02};
  if (!ntlm) {
    tg_put(b, gss, sizeof gss);
    return;
  }
  tg_put8(b, ntlm_type == 1 ? 0x60 : 0xa1);
  tg_put8(b, 0x82);
  tg_put16be(b, 0x01f0);
  tg_put(b, "NTLMSSP", 8);
  tg_put32le(b, ntlm_type);
}

bool tg_smb2_msg(tg_msg_t *m, const tg_smb2_t *h, uint32_t count,
                 const char *path, uint64_t now_ns, tg_rng_t *r) {
  tg_buf_t b = nb_start(m);
  smb2_hdr(&b, h, h->reply ? 32 : 64);
  uint32_t extra = 0;
  int fill = TG_FILL_RAND;
  uint64_t ft = now_ns / 100 + FILETIME_EPOCH;
  switch (h->cmd) {
  case TG_SMB2_NEGOTIATE:
    if (!h->reply) {
      static const uint16_t d[] = {0x0202, 0x0210, 0x0300, 0x0302};
      tg_put16le(&b, 36);
      tg_put16le(&b, 4); /* DialectCount */
      tg_put16le(&b, 1); /* SecurityMode: signing enabled */
      tg_put16le(&b, 0);
      tg_put32le(&b, 0x7f); /* Capabilities */
      uint8_t guid[16];
      tg_rng_bytes(r, guid, 16);
      tg_put(&b, guid, 16);
      tg_put64le(&b, 0); /* ClientStartTime */
      for (int i = 0; i < 4; i++)
        tg_put16le(&b, d[i]);
    } else {
      tg_put16le(&b, 65);
      tg_put16le(&b, 1); /* SecurityMode */
      tg_put16le(&b, h->dialect ? h->dialect : 0x0302);
      tg_put16le(&b, 0);
      uint8_t guid[16];
      tg_rng_bytes(r, guid, 16);
      tg_put(&b, guid, 16);
      tg_put32le(&b, 0x2f);    /* Capabilities */
      tg_put32le(&b, 8388608); /* MaxTransactSize */
      tg_put32le(&b, 8388608); /* MaxReadSize */
      tg_put32le(&b, 8388608); /* MaxWriteSize */
      tg_put64le(&b, ft);      /* SystemTime */
      tg_put64le(&b, 0);       /* ServerStartTime */
      tg_put16le(&b, 128);     /* SecurityBufferOffset */
      if (h->blob) {
        tg_put16le(&b, h->bloblen);
        tg_put32le(&b, 0);
        tg_put(&b, h->blob, h->bloblen);
      } else {
        tg_put16le(&b, 74); /* SecurityBufferLength */
        tg_put32le(&b, 0);
        spnego_blob(&b, false, 0);
        extra = 64;
      }
    }
    break;
  case TG_SMB2_SESSION_SETUP:
    if (h->blob) { /* a real SPNEGO token ([MS-SMB2] 2.2.5, 2.2.6) */
      if (!h->reply) {
        tg_put16le(&b, 25);
        tg_put8(&b, 0);
        tg_put8(&b, 1);
        tg_put32le(&b, 1);
        tg_put32le(&b, 0);
        tg_put16le(&b, 88);
        tg_put16le(&b, h->bloblen);
        tg_put64le(&b, 0);
      } else {
        tg_put16le(&b, 9);
        tg_put16le(&b, 0);
        tg_put16le(&b, (uint16_t)(h->bloblen ? 72 : 0));
        tg_put16le(&b, h->bloblen);
      }
      tg_put(&b, h->blob, h->bloblen);
      break;
    }
    if (!h->reply) {
      tg_put16le(&b, 25);
      tg_put8(&b, 0);    /* Flags */
      tg_put8(&b, 1);    /* SecurityMode */
      tg_put32le(&b, 1); /* Capabilities: DFS */
      tg_put32le(&b, 0); /* Channel */
      tg_put16le(&b, 88);
      tg_put16le(&b, (uint16_t)count);
      tg_put64le(&b, 0); /* PreviousSessionId */
      spnego_blob(&b, true, count < 200 ? 1 : 3);
      extra = count > 16 ? count - 16 : 0;
    } else {
      tg_put16le(&b, 9);
      tg_put16le(&b, 0); /* SessionFlags */
      tg_put16le(&b, 72);
      tg_put16le(&b, (uint16_t)count);
      if (count >= 16) {
        spnego_blob(&b, true, 2);
        extra = count - 16;
      }
    }
    break;
  case TG_SMB2_TREE_CONNECT:
    if (!h->reply) {
      tg_put16le(&b, 9);
      tg_put16le(&b, 0);
      tg_put16le(&b, 72);
      tg_put16le(&b, (uint16_t)(2 * strlen(path ? path : "")));
      tg_pututf16(&b, path ? path : "", false);
    } else {
      bool ipc = path && strstr(path, "IPC$") != NULL;
      tg_put16le(&b, 16);
      tg_put8(&b, ipc ? 2 : 1); /* ShareType: pipe / disk */
      tg_put8(&b, 0);
      tg_put32le(&b, 0); /* ShareFlags */
      tg_put32le(&b, 0); /* Capabilities */
      tg_put32le(&b, 0x001f01ff);
    }
    break;
  case TG_SMB2_CREATE:
    if (!h->reply) {
      tg_put16le(&b, 57);
      tg_put8(&b, 0);    /* SecurityFlags */
      tg_put8(&b, 0);    /* RequestedOplockLevel */
      tg_put32le(&b, 2); /* ImpersonationLevel */
      tg_put64le(&b, 0);
      tg_put64le(&b, 0);
      tg_put32le(&b, 0x0012019f); /* DesiredAccess */
      tg_put32le(&b, 0);          /* FileAttributes */
      tg_put32le(&b, 7);          /* ShareAccess */
      tg_put32le(&b, 1);          /* CreateDisposition: open */
      tg_put32le(&b, 0x44);       /* CreateOptions */
      tg_put16le(&b, 120);
      tg_put16le(&b, (uint16_t)(2 * strlen(path ? path : "")));
      tg_put32le(&b, 0);
      tg_put32le(&b, 0);
      tg_pututf16(&b, path ? path : "", false);
    } else {
      tg_put16le(&b, 89);
      tg_put8(&b, 0);
      tg_put8(&b, 0);
      tg_put32le(&b, 1); /* CreateAction: opened */
      for (int i = 0; i < 4; i++)
        tg_put64le(&b, ft - (uint64_t)i * 36000000000ULL);
      tg_put64le(&b, ((uint64_t)count + 4095) & ~4095ULL);
      tg_put64le(&b, count); /* EndofFile */
      tg_put32le(&b, 0x20);  /* FileAttributes: archive */
      tg_put32le(&b, 0);
      tg_put(&b, h->fid, 16);
      tg_put32le(&b, 0);
      tg_put32le(&b, 0);
    }
    break;
  case TG_SMB2_READ:
    if (!h->reply) {
      tg_put16le(&b, 49);
      tg_put8(&b, 0x50); /* Padding */
      tg_put8(&b, 0);
      tg_put32le(&b, count);
      tg_put64le(&b, h->offset);
      tg_put(&b, h->fid, 16);
      tg_put32le(&b, 1); /* MinimumCount */
      tg_put32le(&b, 0);
      tg_put32le(&b, 0);
      tg_put16le(&b, 0);
      tg_put16le(&b, 0);
      tg_put8(&b, 0);
    } else {
      tg_put16le(&b, 17);
      tg_put8(&b, 0x50); /* DataOffset */
      tg_put8(&b, 0);
      tg_put32le(&b, count);
      tg_put32le(&b, 0);
      tg_put32le(&b, 0);
      extra = count;
    }
    break;
  case TG_SMB2_WRITE:
    if (!h->reply) {
      tg_put16le(&b, 49);
      tg_put16le(&b, 0x70); /* DataOffset */
      tg_put32le(&b, count);
      tg_put64le(&b, h->offset);
      tg_put(&b, h->fid, 16);
      tg_put32le(&b, 0);
      tg_put32le(&b, 0);
      tg_put16le(&b, 0);
      tg_put16le(&b, 0);
      tg_put32le(&b, 0);
      extra = count;
    } else {
      tg_put16le(&b, 17);
      tg_put16le(&b, 0);
      tg_put32le(&b, count);
      tg_put32le(&b, 0);
      tg_put16le(&b, 0);
      tg_put16le(&b, 0);
    }
    break;
  case TG_SMB2_CLOSE:
    if (!h->reply) {
      tg_put16le(&b, 24);
      tg_put16le(&b, 0);
      tg_put32le(&b, 0);
      tg_put(&b, h->fid, 16);
    } else {
      tg_put16le(&b, 60);
      tg_put16le(&b, 0);
      tg_put32le(&b, 0);
      tg_putz(&b, 48);
      tg_put32le(&b, 0);
    }
    break;
  default: /* TREE_DISCONNECT, LOGOFF and anything small */
    tg_put16le(&b, 4);
    tg_put16le(&b, 0);
    break;
  }
  return nb_finish(m, &b, extra, fill);
}

/* ---- SMB1 messages built whole into a buffer ---------------------------
 * Each appends one NetBIOS session message (header, SMB, parameters and
 * data, data bytes zero) to b, so that several can share one TCP message
 * and tg_tcp_msg_bytes can turn the largest data region into filler. */

static size_t b_nb_start(tg_buf_t *b) {
  size_t at = b->len;
  tg_put32be(b, 0);
  return at;
}

static void b_nb_finish(tg_buf_t *b, size_t at) {
  if (b->over || at + 4 > b->len)
    return;
  uint32_t n = (uint32_t)(b->len - at - 4);
  b->p[at] = 0;
  b->p[at + 1] = (uint8_t)(n >> 16);
  b->p[at + 2] = (uint8_t)(n >> 8);
  b->p[at + 3] = (uint8_t)n;
}

/* offset from the start of the SMB header of this message */
static uint32_t b_off(const tg_buf_t *b, size_t nb) {
  return (uint32_t)(b->len - nb - 4);
}

static void b_align(tg_buf_t *b, size_t nb, unsigned to) {
  while (b_off(b, nb) % to)
    tg_put8(b, 0);
}

size_t tg_smb1_b_trans(tg_buf_t *b, const tg_smb1_t *h,
                       const tg_smb1_trans_t *t, size_t *data_at) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  size_t poff, doff, bc;
  bool nt = t->cmd == TG_SMB1_NT_TRANSACT;
  if (nt) { /* [MS-CIFS] 2.2.4.62.1 */
    tg_put8(b, (uint8_t)(19 + t->nsetup));
    tg_put8(b, t->max_setup);
    tg_put16le(b, 0);
    tg_put32le(b, t->total_param);
    tg_put32le(b, t->total_data);
    tg_put32le(b, t->max_param);
    tg_put32le(b, t->max_data);
    tg_put32le(b, t->nparam);
    poff = b->len;
    tg_put32le(b, 0);
    tg_put32le(b, t->ndata);
    doff = b->len;
    tg_put32le(b, 0);
    tg_put8(b, (uint8_t)t->nsetup);
    tg_put16le(b, t->function);
  } else { /* TRANSACTION 2.2.4.33.1, TRANSACTION2 2.2.4.46.1 */
    tg_put8(b, (uint8_t)(14 + t->nsetup));
    tg_put16le(b, (uint16_t)t->total_param);
    tg_put16le(b, (uint16_t)t->total_data);
    tg_put16le(b, (uint16_t)t->max_param);
    tg_put16le(b, (uint16_t)t->max_data);
    tg_put8(b, t->max_setup);
    tg_put8(b, 0);
    tg_put16le(b, 0); /* Flags */
    tg_put32le(b, t->timeout);
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)t->nparam);
    poff = b->len;
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)t->ndata);
    doff = b->len;
    tg_put16le(b, 0);
    tg_put8(b, (uint8_t)t->nsetup);
    tg_put8(b, 0);
  }
  for (int i = 0; i < t->nsetup; i++)
    tg_put16le(b, t->setup[i]);
  bc = b->len;
  tg_put16le(b, 0);
  if (t->cmd == TG_SMB1_TRANSACTION) { /* Name: Unicode, 2-byte aligned */
    b_align(b, nb, 2);
    tg_pututf16(b, t->name ? t->name : "", true);
  } else if (!nt) {
    tg_put8(b, 0); /* TRANSACTION2: Name unused, one null */
  }
  b_align(b, nb, 4);
  uint32_t p_at = b_off(b, nb);
  if (t->nparam) {
    if (t->param)
      tg_put(b, t->param, t->nparam);
    else
      tg_putz(b, t->nparam);
  }
  b_align(b, nb, 4);
  uint32_t d_at = b_off(b, nb);
  if (data_at)
    *data_at = b->len;
  if (t->data)
    tg_put(b, t->data, t->ndata);
  else
    tg_putz(b, t->ndata);
  if (nt) {
    tg_set32le(b, poff, t->nparam ? p_at : 0);
    tg_set32le(b, doff, d_at);
  } else {
    tg_set16le(b, poff, (uint16_t)p_at);
    tg_set16le(b, doff, (uint16_t)d_at);
  }
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_secondary(tg_buf_t *b, const tg_smb1_t *h,
                           const tg_smb1_sec_t *s, size_t *data_at) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  size_t poff, doff;
  if (h->cmd == TG_SMB1_NT_TRANSACT_SECONDARY) { /* 2.2.4.63.1 */
    tg_put8(b, 18);
    tg_putz(b, 3);
    tg_put32le(b, s->total_param);
    tg_put32le(b, s->total_data);
    tg_put32le(b, s->nparam);
    poff = b->len;
    tg_put32le(b, 0);
    tg_put32le(b, s->param_disp);
    tg_put32le(b, s->ndata);
    doff = b->len;
    tg_put32le(b, 0);
    tg_put32le(b, s->data_disp);
    tg_put8(b, 0);
  } else { /* TRANSACTION_SECONDARY 2.2.4.34.1 (8 words), TRANS2 + FID */
    bool t2 = h->cmd == TG_SMB1_TRANS2_SECONDARY;
    tg_put8(b, t2 ? 9 : 8);
    tg_put16le(b, (uint16_t)s->total_param);
    tg_put16le(b, (uint16_t)s->total_data);
    tg_put16le(b, (uint16_t)s->nparam);
    poff = b->len;
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)s->param_disp);
    tg_put16le(b, (uint16_t)s->ndata);
    doff = b->len;
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)s->data_disp);
    if (t2)
      tg_put16le(b, s->fid);
  }
  size_t bc = b->len;
  tg_put16le(b, 0);
  b_align(b, nb, 4);
  uint32_t p_at = b_off(b, nb);
  if (s->nparam) {
    if (s->param)
      tg_put(b, s->param, s->nparam);
    else
      tg_putz(b, s->nparam);
  }
  uint32_t d_at = b_off(b, nb);
  if (data_at)
    *data_at = b->len;
  tg_putz(b, s->ndata);
  if (h->cmd == TG_SMB1_NT_TRANSACT_SECONDARY) {
    tg_set32le(b, poff, s->nparam ? p_at : 0);
    tg_set32le(b, doff, s->ndata ? d_at : 0);
  } else {
    tg_set16le(b, poff, (uint16_t)(s->nparam ? p_at : 0));
    tg_set16le(b, doff, (uint16_t)(s->ndata ? d_at : 0));
  }
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_trans_resp(tg_buf_t *b, const tg_smb1_t *h,
                            const tg_smb1_sec_t *s, size_t *data_at) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  size_t poff, doff;
  if (h->cmd == TG_SMB1_NT_TRANSACT) { /* 2.2.4.62.2 */
    tg_put8(b, 18);
    tg_putz(b, 3);
    tg_put32le(b, s->total_param);
    tg_put32le(b, s->total_data);
    tg_put32le(b, s->nparam);
    poff = b->len;
    tg_put32le(b, 0);
    tg_put32le(b, s->param_disp);
    tg_put32le(b, s->ndata);
    doff = b->len;
    tg_put32le(b, 0);
    tg_put32le(b, s->data_disp);
    tg_put8(b, 0); /* SetupCount */
  } else {         /* TRANSACTION / TRANSACTION2 response, 2.2.4.33.2 */
    tg_put8(b, 10);
    tg_put16le(b, (uint16_t)s->total_param);
    tg_put16le(b, (uint16_t)s->total_data);
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)s->nparam);
    poff = b->len;
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)s->param_disp);
    tg_put16le(b, (uint16_t)s->ndata);
    doff = b->len;
    tg_put16le(b, 0);
    tg_put16le(b, (uint16_t)s->data_disp);
    tg_put8(b, 0);
    tg_put8(b, 0);
  }
  size_t bc = b->len;
  tg_put16le(b, 0);
  b_align(b, nb, 4);
  uint32_t p_at = b_off(b, nb);
  if (s->nparam) {
    if (s->param)
      tg_put(b, s->param, s->nparam);
    else
      tg_putz(b, s->nparam);
  }
  b_align(b, nb, 4);
  uint32_t d_at = b_off(b, nb);
  if (data_at)
    *data_at = b->len;
  tg_putz(b, s->ndata);
  if (h->cmd == TG_SMB1_NT_TRANSACT) {
    tg_set32le(b, poff, p_at);
    tg_set32le(b, doff, d_at);
  } else {
    tg_set16le(b, poff, (uint16_t)p_at);
    tg_set16le(b, doff, (uint16_t)d_at);
  }
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_error(tg_buf_t *b, const tg_smb1_t *h) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 0);
  tg_put16le(b, 0);
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_nt_create(tg_buf_t *b, const tg_smb1_t *h, const char *name) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 24); /* [MS-CIFS] 2.2.4.64.1 */
  tg_put8(b, 0xff);
  tg_put8(b, 0);
  size_t andx = b->len;
  tg_put16le(b, 0);
  tg_put8(b, 0);
  tg_put16le(b, (uint16_t)(2 * strlen(name)));
  tg_put32le(b, 0x16);       /* Flags: request oplock, batch, extended */
  tg_put32le(b, 0);          /* RootDirectoryFID */
  tg_put32le(b, 0x0002019f); /* DesiredAccess: read/write + attributes */
  tg_put64le(b, 0);          /* AllocationSize */
  tg_put32le(b, 0);          /* ExtFileAttributes */
  tg_put32le(b, 3);          /* ShareAccess: read, write */
  tg_put32le(b, 1);          /* CreateDisposition: FILE_OPEN */
  tg_put32le(b, 0x00000040); /* CreateOptions: non-directory */
  tg_put32le(b, 2);          /* ImpersonationLevel: impersonation */
  tg_put8(b, 0);             /* SecurityFlags */
  size_t bc = b->len;
  tg_put16le(b, 0);
  b_align(b, nb, 2);
  tg_pututf16(b, name, true);
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  tg_set16le(b, andx, (uint16_t)b_off(b, nb));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_nt_create_resp(tg_buf_t *b, const tg_smb1_t *h, uint16_t fid,
                                uint64_t now_ns) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 34); /* [MS-CIFS] 2.2.4.64.2 */
  tg_put8(b, 0xff);
  tg_put8(b, 0);
  size_t andx = b->len;
  tg_put16le(b, 0);
  tg_put8(b, 0); /* OpLockLevel */
  tg_put16le(b, fid);
  tg_put32le(b, 1); /* CreateDisposition: opened */
  uint64_t ft = now_ns / 100 + FILETIME_EPOCH;
  for (int i = 0; i < 4; i++)
    tg_put64le(b, i == 0 ? 0 : ft);
  tg_put32le(b, 0x80);   /* ExtFileAttributes: normal */
  tg_put64le(b, 4096);   /* AllocationSize */
  tg_put64le(b, 0);      /* EndOfFile */
  tg_put16le(b, 2);      /* ResourceType: message-mode named pipe */
  tg_put16le(b, 0x05ff); /* NMPipeStatus: message mode, read, ICount 255 */
  tg_put8(b, 0);
  tg_put16le(b, 0);
  tg_set16le(b, andx, (uint16_t)b_off(b, nb));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_write_andx(tg_buf_t *b, const tg_smb1_t *h, uint16_t fid,
                            uint16_t mode, uint16_t remaining, uint32_t n,
                            size_t *data_at) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 14); /* [MS-CIFS] 2.2.4.43.1, with OffsetHigh */
  tg_put8(b, 0xff);
  tg_put8(b, 0);
  size_t andx = b->len;
  tg_put16le(b, 0);
  tg_put16le(b, fid);
  tg_put32le(b, 0); /* Offset */
  tg_put32le(b, 0); /* Timeout */
  tg_put16le(b, mode);
  tg_put16le(b, remaining);
  tg_put16le(b, 0);           /* DataLengthHigh */
  tg_put16le(b, (uint16_t)n); /* DataLength */
  size_t doff = b->len;
  tg_put16le(b, 0);
  tg_put32le(b, 0); /* OffsetHigh */
  size_t bc = b->len;
  tg_put16le(b, 0);
  tg_put8(b, 0); /* Pad */
  uint32_t d_at = b_off(b, nb);
  if (data_at)
    *data_at = b->len;
  tg_putz(b, n);
  tg_set16le(b, doff, (uint16_t)d_at);
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  tg_set16le(b, andx, (uint16_t)b_off(b, nb));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_write_andx_resp(tg_buf_t *b, const tg_smb1_t *h,
                                 uint32_t count) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 6); /* 2.2.4.43.2 */
  tg_put8(b, 0xff);
  tg_put8(b, 0);
  size_t andx = b->len;
  tg_put16le(b, 0);
  tg_put16le(b, (uint16_t)count);
  tg_put16le(b, 0xffff); /* Available: a pipe */
  tg_put32le(b, 0);
  tg_put16le(b, 0);
  tg_set16le(b, andx, (uint16_t)b_off(b, nb));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

/* Extended security ([MS-SMB] 2.2.4.5.2.1, 2.2.4.6). */
size_t tg_smb1_b_negotiate_ext_resp(tg_buf_t *b, const tg_smb1_t *h,
                                    uint64_t now_ns, tg_rng_t *r) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  tg_put8(b, 17);
  tg_put16le(b, 5); /* "NT LM 0.12" */
  tg_put8(b, 0x03); /* user level, challenge/response */
  tg_put16le(b, 50);
  tg_put16le(b, 1);
  tg_put32le(b, 16644);
  tg_put32le(b, 65536);
  tg_put32le(b, 0);
  tg_put32le(b, 0x8001f3fcu); /* ... | CAP_EXTENDED_SECURITY */
  tg_put64le(b, now_ns / 100 + FILETIME_EPOCH);
  tg_put16le(b, 0);
  tg_put8(b, 0); /* ChallengeLength: 0 with extended security */
  size_t bc = b->len;
  tg_put16le(b, 0);
  uint8_t guid[16], blob[200];
  tg_rng_bytes(r, guid, 16);
  tg_put(b, guid, 16);
  size_t bl = tg_auth_spnego_hints(blob, sizeof blob);
  tg_put(b, blob, bl);
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

size_t tg_smb1_b_session_setup_ext(tg_buf_t *b, const tg_smb1_t *h,
                                   const uint8_t *blob, size_t bl) {
  size_t nb = b_nb_start(b);
  smb1_hdr(b, h);
  bool reply = h->reply;
  tg_put8(b, reply ? 4 : 12);
  tg_put8(b, 0xff);
  tg_put8(b, 0);
  size_t andx = b->len;
  tg_put16le(b, 0);
  if (reply) {
    tg_put16le(b, 0); /* Action */
    tg_put16le(b, (uint16_t)bl);
  } else {
    tg_put16le(b, 16644); /* MaxBufferSize */
    tg_put16le(b, 50);    /* MaxMpxCount */
    tg_put16le(b, 0);     /* VcNumber */
    tg_put32le(b, 0);     /* SessionKey */
    tg_put16le(b, (uint16_t)bl);
    tg_put32le(b, 0);
    tg_put32le(b, 0x8000e05cu); /* CAP_EXTENDED_SECURITY | unicode ... */
  }
  size_t bc = b->len;
  tg_put16le(b, 0);
  tg_put(b, blob, bl);
  b_align(b, nb, 2);
  tg_pututf16(b, reply ? "Windows Server 2012 R2 9600" : "Windows 7 7601",
              true);
  tg_pututf16(b, reply ? "Windows Server 2012 R2 6.3" : "Windows 7 6.1", true);
  tg_set16le(b, bc, (uint16_t)(b->len - bc - 2));
  tg_set16le(b, andx, (uint16_t)b_off(b, nb));
  b_nb_finish(b, nb);
  return b->over ? 0 : b->len - nb;
}

bool tg_smb_msg_from(tg_msg_t *m, int dir, uint64_t think, const tg_buf_t *b,
                     size_t opq_off, size_t opq_len, int fill) {
  if (!tg_tcp_msg_bytes(m, dir, think, b->p, b->len, opq_off, opq_len))
    return false;
  m->fill = (uint8_t)fill;
  return true;
}
