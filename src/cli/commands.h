/* commands.h -- subcommands implemented outside main.c (incidents,
 * notify, inbox, reply, report). Each takes argc/argv starting at its own
 * name and returns the process exit code. */
#ifndef WD_CLI_COMMANDS_H
#define WD_CLI_COMMANDS_H

typedef struct wd_command {
  const char *name;
  int (*fn)(int argc, char **argv);
} wd_command_t;

int wd_cmd_incidents(int argc, char **argv); /* cmd_incidents.c */

/* NULL-terminated (commands.c). */
extern const wd_command_t wd_commands[];

#endif
