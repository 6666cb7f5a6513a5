/* SPDX-License-Identifier: MIT */
/*
 * The privmem command: a table of subcommands (main.c), one file each
 * (cmd-*.c). Subcommands return the process exit status: 0 success, 1
 * failure, 2 usage error. The CLI uses the public API only.
 */
#ifndef PRIVMEM_CLI_H
#define PRIVMEM_CLI_H

#include <stdio.h>
#include <json-c/json.h>
#include <privmem/privmem.h>
#include <privmem/host.h>

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* main.c: -v was given (the library logs to stderr). */
extern bool cli_verbose;

/* report.c: the host, as JSON and as a readable report. */
json_object *host_json(const struct pm_host_info *h);
void host_print(FILE *f, const struct pm_host_info *h);

/* Print to stdout, exiting 1 if stdout cannot be written. */
void json_print(json_object *o);

#endif
