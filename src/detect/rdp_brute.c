/* rdp_brute.c -- rdp.brute-force: password guessing against RDP, by
 * behaviour: the credentials travel encrypted, so an attempt is a
 * connection that ends right after authentication would have happened.
 * In: flow ends (on_flow_end) of TCP 3389: a conversation (handshake
 * answered, data both ways) that closed within detect.rdp_brute.session_max
 * of its start, having carried at most detect.rdp_brute.session_bytes, is
 * one failed attempt (a guessing tool disconnects, or is disconnected, after
 * its tries); a longer or larger connection from the same client is a logon,
 * and one following the failures raises the attack's severity. Out:
 * attacks per (client, server) through brute.c. Keys:
 * detect.rdp_brute.*. */
#include "detect/brute_int.h"

BRUTE_SESSION_DETECTOR(wd_detector_rdp_brute, "rdp.brute-force",
                       "detect.rdp_brute", 3389, 2100531, "RDP",
                       "many short RDP connections of one client ending right "
                       "after authentication",
                       "256 KiB", "64");
