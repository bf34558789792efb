/* ssh_brute.c -- ssh.brute-force: password guessing against SSH, by
 * behaviour: the credentials travel encrypted, so an attempt is a
 * connection that ends right after authentication would have happened.
 * In: flow ends (on_flow_end) of TCP 22: a conversation (handshake
 * answered, data both ways) that closed within detect.ssh_brute.session_max
 * of its start, having carried at most detect.ssh_brute.session_bytes, is
 * one failed attempt (a guessing tool disconnects, or is disconnected, after
 * its tries); a longer or larger connection from the same client is a logon,
 * and one following the failures raises the attack's severity. Out:
 * attacks per (client, server) through brute.c. Keys:
 * detect.ssh_brute.*. */
#include "detect/brute_int.h"

BRUTE_SESSION_DETECTOR(wd_detector_ssh_brute, "ssh.brute-force",
                       "detect.ssh_brute", 22, 2100521, "SSH",
                       "many short SSH sessions of one client ending right "
                       "after authentication",
                       "64 KiB", "40");
