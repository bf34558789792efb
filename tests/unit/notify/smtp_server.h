/* smtp_server.h -- starts and stops the test SMTP server (aiosmtpd with
 * the smtp_sink handler) on a free loopback port, for the notify tests.
 * Memory: static state for one server at a time; stop it by its pid. */
#ifndef SMTP_SERVER_H
#define SMTP_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "notify/notice_fixture.h"

typedef struct test_smtp {
  pid_t pid;
  int port;
  char dir[512];
  char url[64];
} test_smtp_t;

static inline bool test_smtp_available(void) {
  return access("/usr/bin/python3", X_OK) == 0 &&
         system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null") == 0;
}

static inline int test_smtp_free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t l = sizeof a;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(s, (struct sockaddr *)&a, &l) != 0) {
    if (s >= 0)
      close(s);
    return -1;
  }
  close(s);
  return ntohs(a.sin_port);
}

static inline bool test_smtp_accepting(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
  if (s >= 0)
    close(s);
  return ok;
}

/* Servers still running when the test exits (a failed assertion jumps
 * past test_smtp_stop) are stopped by an atexit handler. */
static pid_t test_smtp_live[8];

static inline void test_smtp_reap(void) {
  for (int i = 0; i < 8; i++)
    if (test_smtp_live[i] > 0) {
      kill(test_smtp_live[i], SIGTERM);
      waitpid(test_smtp_live[i], NULL, 0);
      test_smtp_live[i] = 0;
    }
}

/* Starts the server on port (0: pick one) saving into dir. */
static inline bool test_smtp_start(test_smtp_t *t, const char *dir, int port) {
  static bool registered;
  if (!registered) {
    atexit(test_smtp_reap);
    registered = true;
  }
  char listen[64];
  t->port = port ? port : test_smtp_free_port();
  snprintf(t->dir, sizeof t->dir, "%s", dir);
  snprintf(t->url, sizeof t->url, "smtp://127.0.0.1:%d", t->port);
  snprintf(listen, sizeof listen, "127.0.0.1:%d", t->port);
  t->pid = fork();
  if (t->pid == 0) {
    setenv("PYTHONPATH", fixture_dir_of(__FILE__, ""), 1);
    execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
          "-c", "smtp_sink.Sink", dir, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 8; i++)
    if (test_smtp_live[i] <= 0) {
      test_smtp_live[i] = t->pid;
      break;
    }
  for (int i = 0; i < 100; i++) { /* up to 10 s */
    if (test_smtp_accepting(t->port))
      return true;
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

static inline void test_smtp_stop(test_smtp_t *t) {
  if (t->pid > 0) {
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    for (int i = 0; i < 8; i++)
      if (test_smtp_live[i] == t->pid)
        test_smtp_live[i] = 0;
    t->pid = 0;
  }
}

/* Number of .eml files the server saved. */
static inline int test_smtp_count(const test_smtp_t *t) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls %.400s 2>/dev/null | grep -c '\\.eml$'",
           t->dir);
  FILE *p = popen(cmd, "r");
  int n = 0;
  if (p) {
    if (fscanf(p, "%d", &n) != 1)
      n = 0;
    pclose(p);
  }
  return n;
}

#endif
