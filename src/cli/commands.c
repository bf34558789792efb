/* commands.c -- the table of subcommands that live in their own files. */
#include "cli/commands.h"

#include <stddef.h>

const wd_command_t wd_commands[] = {
    {"incidents", wd_cmd_incidents},
    {NULL, NULL},
};
