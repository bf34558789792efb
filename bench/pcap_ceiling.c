/* pcap_ceiling.c -- the ceiling for ward's speed on a capture file: a
 * minimal libpcap loop (pcap_open_offline + pcap_next_ex) that only counts
 * packets and captured bytes. Whatever ward does per packet costs on top
 * of this; bench/run prints ward's packets/s as a share of it.
 * In: one or more pcap files. Out: one line "packets N bytes B seconds S"
 * on standard output (S = wall time of the loops). Exit 0, or 1 when a file
 * cannot be read. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pcap_ceiling CAPTURE...\n");
    return 2;
  }
  unsigned long long packets = 0, bytes = 0;
  double t0 = now_s();
  for (int i = 1; i < argc; i++) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[i], err);
    if (!p) {
      fprintf(stderr, "pcap_ceiling: %s\n", err);
      return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
      packets++;
      bytes += h->caplen;
    }
    if (rc == PCAP_ERROR) {
      fprintf(stderr, "pcap_ceiling: %s: %s\n", argv[i], pcap_geterr(p));
      pcap_close(p);
      return 1;
    }
    pcap_close(p);
  }
  printf("packets %llu bytes %llu seconds %.6f\n", packets, bytes,
         now_s() - t0);
  return 0;
}
