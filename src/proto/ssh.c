/* ssh.c -- SSH identification and clear packet framing (ssh.h).
 * In: TCP bytes per direction. Out: the connection's wd_ssh_summary_t.
 * A direction first reads lines (at most WD_SSH_IDENT_MAX bytes each kept,
 * WD_SSH_BANNER_LINES_MAX lines and WD_SSH_BANNER_BYTES_MAX bytes before
 * the identification), then binary packets: the 6 header bytes of each are
 * read, the rest skipped (never buffered); after NEWKEYS it only counts.
 * No allocation. */
#include "proto/ssh.h"

#include <string.h>

#include "proto/proto_int.h"

enum { S_LINE = 0, S_PACKET, S_ENC, S_STOP };

static void anom(wd_ssh_conn_t *c, int dir, uint32_t bit) {
  wd_ssh_dir_summary_t *s = &c->sum.dir[dir];
  if (!(s->anomalies & bit) && c->stats)
    c->stats->anomalies++;
  s->anomalies |= bit;
}

static void stop(wd_ssh_conn_t *c, int dir, uint32_t bit) {
  anom(c, dir, bit);
  c->d[dir].state = S_STOP;
  c->sum.dir[dir].stopped = true;
  if (bit == WD_SSH_ANOM_NOT_SSH && c->stats)
    c->stats->not_ssh++;
}

void wd_ssh_conn_init(wd_ssh_conn_t *c, wd_ssh_stats_t *stats) {
  memset(c, 0, sizeof *c);
  c->stats = stats;
  if (stats)
    stats->connections++;
}

const wd_ssh_summary_t *wd_ssh_conn_summary(const wd_ssh_conn_t *c) {
  return &c->sum;
}

/* "SSH-protoversion-softwareversion[ SP comments]" */
static void ident_line(wd_ssh_conn_t *c, int dir, const char *l, size_t n) {
  wd_ssh_dir_summary_t *s = &c->sum.dir[dir];
  s->ident_seen = true;
  if (c->stats)
    c->stats->idents++;
  wd_text_escape(s->ident, sizeof s->ident, (const uint8_t *)l, n, false, NULL);
  const char *p = l + 4, *end = l + n;
  const char *dash = memchr(p, '-', (size_t)(end - p));
  if (!dash) {
    stop(c, dir, WD_SSH_ANOM_VERSION);
    return;
  }
  size_t pl = (size_t)(dash - p);
  if (pl < sizeof s->proto) {
    memcpy(s->proto, p, pl);
    s->proto[pl] = '\0';
  }
  const char *sw = dash + 1;
  const char *sp = memchr(sw, ' ', (size_t)(end - sw));
  size_t swl = sp ? (size_t)(sp - sw) : (size_t)(end - sw);
  wd_text_escape(s->software, sizeof s->software, (const uint8_t *)sw, swl,
                 false, NULL);
  if (strcmp(s->proto, "2.0") != 0 && strcmp(s->proto, "1.99") != 0) {
    stop(c, dir, WD_SSH_ANOM_VERSION);
    return;
  }
  c->d[dir].state = S_PACKET;
}

static void line_done(wd_ssh_conn_t *c, int dir, bool bare_lf) {
  wd_ssh_dir_t *d = &c->d[dir];
  wd_ssh_dir_summary_t *s = &c->sum.dir[dir];
  size_t n = d->line_len;
  if (bare_lf)
    anom(c, dir, WD_SSH_ANOM_BARE_LF);
  else if (n > 0 && !d->line_cut)
    n--; /* the CR */
  bool cut = d->line_cut;
  d->line_len = 0;
  d->line_cut = false;
  if (n >= 4 && memcmp(d->line, "SSH-", 4) == 0) {
    if (cut)
      anom(c, dir, WD_SSH_ANOM_IDENT_TOO_LONG);
    ident_line(c, dir, d->line, n);
    return;
  }
  s->banner_lines++;
  if (dir == 0)
    anom(c, dir, WD_SSH_ANOM_BANNER);
  if (s->banner_lines > WD_SSH_BANNER_LINES_MAX ||
      d->banner_bytes > WD_SSH_BANNER_BYTES_MAX)
    stop(c, dir, WD_SSH_ANOM_NOT_SSH);
}

static void packet_header(wd_ssh_conn_t *c, int dir, uint64_t ts_ns) {
  wd_ssh_dir_t *d = &c->d[dir];
  wd_ssh_dir_summary_t *s = &c->sum.dir[dir];
  uint32_t plen = wd_be32(d->hdr);
  uint8_t pad = d->hdr[4], msg = d->hdr[5];
  d->hdr_have = 0;
  if (plen < 5 || plen > WD_SSH_PACKET_MAX || pad >= plen - 1) {
    stop(c, dir, WD_SSH_ANOM_BAD_PACKET);
    return;
  }
  if ((plen + 4) % 8 != 0 || pad < 4)
    anom(c, dir, WD_SSH_ANOM_BAD_PADDING);
  s->clear_packets++;
  s->last_clear_msg = msg;
  if (msg == WD_SSH_MSG_KEXINIT && s->kexinit < UINT16_MAX)
    s->kexinit++;
  if (msg >= 5 && msg <= 127 && !(msg >= 20 && msg <= 49))
    anom(c, dir, WD_SSH_ANOM_EARLY_MSG);
  d->skip = plen - 2; /* padding_length and msg number were read */
  if (msg == WD_SSH_MSG_NEWKEYS) {
    s->newkeys = true;
    s->newkeys_ns = ts_ns;
    if (c->sum.dir[dir ^ 1].newkeys && !c->sum.kex_done) {
      c->sum.kex_done = true;
      if (c->stats)
        c->stats->kex_done++;
    }
  }
}

static void enc(wd_ssh_conn_t *c, int dir, size_t n, uint64_t ts_ns) {
  wd_ssh_dir_summary_t *s = &c->sum.dir[dir];
  if (n == 0)
    return;
  if (s->enc_pieces == 0)
    s->first_enc_ns = ts_ns;
  s->enc_pieces++;
  s->enc_bytes += n;
  s->last_enc_ns = ts_ns;
}

wd_rc wd_ssh_conn_feed(wd_ssh_conn_t *c, int dir, const uint8_t *data,
                       size_t len, uint64_t ts_ns) {
  dir &= 1;
  wd_ssh_dir_t *d = &c->d[dir];
  size_t i = 0;
  while (i < len) {
    switch (d->state) {
    case S_STOP:
      return WD_END;
    case S_ENC:
      enc(c, dir, len - i, ts_ns);
      return WD_OK;
    case S_LINE: {
      const uint8_t *lf = memchr(data + i, '\n', len - i);
      size_t take = lf ? (size_t)(lf - (data + i)) : len - i;
      /* a NUL or other binary byte where text belongs: not SSH */
      for (size_t k = 0; k < take; k++)
        if (data[i + k] == 0) {
          stop(c, dir, WD_SSH_ANOM_NOT_SSH);
          return WD_END;
        }
      size_t room = WD_SSH_IDENT_MAX - d->line_len;
      size_t keep = take < room ? take : room;
      memcpy(d->line + d->line_len, data + i, keep);
      d->line_len = (uint16_t)(d->line_len + keep);
      if (keep < take)
        d->line_cut = true;
      size_t add = take + (lf ? 1 : 0);
      d->banner_bytes = (uint16_t)(d->banner_bytes + add > UINT16_MAX
                                       ? UINT16_MAX
                                       : d->banner_bytes + add);
      i += take;
      if (!lf) {
        if (d->banner_bytes > WD_SSH_BANNER_BYTES_MAX) {
          stop(c, dir, WD_SSH_ANOM_NOT_SSH);
          return WD_END;
        }
        break;
      }
      i++;
      bool bare =
          d->line_cut || d->line_len == 0 || d->line[d->line_len - 1] != '\r';
      line_done(c, dir, bare && !d->line_cut);
      break;
    }
    case S_PACKET:
      if (d->skip > 0) {
        size_t n = d->skip < len - i ? d->skip : len - i;
        d->skip -= (uint32_t)n;
        i += n;
        if (d->skip == 0 && c->sum.dir[dir].newkeys)
          d->state = S_ENC;
        break;
      }
      d->hdr[d->hdr_have++] = data[i++];
      if (d->hdr_have == 6) {
        packet_header(c, dir, ts_ns);
        if (d->skip == 0 && d->state == S_PACKET && c->sum.dir[dir].newkeys)
          d->state = S_ENC;
      }
      break;
    }
  }
  if (d->state == S_STOP)
    return WD_END;
  return d->state == S_ENC ? WD_OK : WD_AGAIN;
}

void wd_ssh_conn_gap(wd_ssh_conn_t *c, int dir, uint32_t nbytes) {
  dir &= 1;
  wd_ssh_dir_t *d = &c->d[dir];
  if (d->state == S_STOP)
    return;
  if (d->state == S_ENC) {
    c->sum.dir[dir].enc_bytes += nbytes;
    return;
  }
  if (d->state == S_PACKET && d->skip > 0 && nbytes > 0 && nbytes <= d->skip) {
    d->skip -= nbytes; /* lost inside a packet we skip anyway */
    if (d->skip == 0 && c->sum.dir[dir].newkeys)
      d->state = S_ENC;
    return;
  }
  stop(c, dir, WD_SSH_ANOM_GAP);
}
