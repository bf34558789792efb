/* commands.c -- the table of subcommands that live in their own files. */
#include "cli/commands.h"

#include <stddef.h>

const wd_command_t wd_commands[] = {
    {"incidents", wd_cmd_incidents}, {"notify", wd_cmd_notify},
    {"inbox", wd_cmd_inbox},         {"reply", wd_cmd_reply},
    {"report", wd_cmd_report},       {"serve", wd_cmd_serve},
    {"token", wd_cmd_token},         {"parties", wd_cmd_parties},
    {"ingest", wd_cmd_ingest},       {NULL, NULL},
};
