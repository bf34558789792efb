/* fuzz_rewrite.c -- libFuzzer target for the evidence rewriter
 * (src/incident/evidence_rewrite.c). In: arbitrary bytes taken as a pcap
 * or pcapng capture. Checks: no crash, leak or undefined behaviour; a
 * capture that cannot be read is refused with a reason; what comes out is
 * a capture libpcap reads back, with exactly the frames counted as
 * written, none of which has an internal source or destination address.
 * Memory: the output is freed before returning. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "incident/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static wd_cidr_t nets[2];
  static const char *const names[] = {"St. Example University Hospital"};
  if (wd_cidr_parse("10.20.0.0/16", &nets[0]) != WD_OK ||
      wd_cidr_parse("2001:db8:20::/48", &nets[1]) != WD_OK)
    abort();
  wd_evidence_redact_t r = {
      .withhold = nets, .n_withhold = 2, .names = names, .n_names = 1};
  uint8_t *out = NULL;
  size_t len = 0;
  char err[256] = "";
  wd_evidence_rewrite_stats_t st;
  wd_rc rc = wd_evidence_rewrite_buffer(data, size, &r, &out, &len, &st, err,
                                        sizeof err);
  if (rc != WD_OK) {
    if (out || (rc == WD_ERR_INVAL && !err[0]))
      abort();
    return 0;
  }
  if (st.written + st.dropped != st.packets)
    abort();
  char eb[PCAP_ERRBUF_SIZE];
  FILE *f = fmemopen(out, len, "rb");
  pcap_t *p = f ? pcap_fopen_offline(f, eb) : NULL;
  if (!p)
    abort();
  struct pcap_pkthdr *h;
  const u_char *d;
  uint64_t n = 0;
  int linktype = pcap_datalink(p);
  while (pcap_next_ex(p, &h, &d) == 1) {
    wd_packet_t pk;
    memset(&pk, 0, sizeof pk);
    wd_decode(&pk, linktype, d, h->caplen, h->len);
    if (!pk.ip_version)
      abort(); /* only IP frames come out */
    for (int i = 0; i < 2; i++)
      if (wd_cidr_contains(&nets[i], &pk.src) ||
          wd_cidr_contains(&nets[i], &pk.dst))
        abort();
    n++;
  }
  pcap_close(p);
  if (n != st.written)
    abort();
  free(out);
  return 0;
}
