/* commands.h -- subcommands implemented outside main.c (incidents,
 * notify, inbox, reply, report, ingest). Each takes argc/argv starting at its
 * own name and returns the process exit code. */
#ifndef WD_CLI_COMMANDS_H
#define WD_CLI_COMMANDS_H

typedef struct wd_command {
  const char *name;
  int (*fn)(int argc, char **argv);
} wd_command_t;

int wd_cmd_incidents(int argc, char **argv); /* cmd_incidents.c */
/* cmd_notify.c: exit 0 success, 1 failure, 2 usage, 3 configuration */
int wd_cmd_notify(int argc, char **argv);
int wd_cmd_inbox(int argc, char **argv);
int wd_cmd_reply(int argc, char **argv);
int wd_cmd_report(int argc, char **argv);
/* cmd_serve.c */
int wd_cmd_serve(int argc, char **argv);
int wd_cmd_token(int argc, char **argv);
int wd_cmd_parties(int argc, char **argv);
int wd_cmd_ingest(int argc, char **argv); /* cmd_ingest.c */

/* NULL-terminated (commands.c). */
extern const wd_command_t wd_commands[];

#endif
