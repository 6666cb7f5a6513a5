// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "info", cmd_info, "what this host offers privmem [--json]" },
	{ "run", cmd_run, "the end-to-end demonstration, as checks [--json]" },
	{ "bench", cmd_bench, "performance figures [SCENARIO...] [--json] "
			      "[--plot FILE.svg] [--quick]" },
};

bool cli_verbose;

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: privmem <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nprivmem %s; options: -v (log to stderr)\n", pm_version());
}

static void log_stderr(void *opaque, enum pm_log_level level, const char *m)
{
	(void)opaque;
	fprintf(stderr, "privmem[%d]: %s\n", level, m);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		pm_set_log(log_stderr, NULL, PM_LOG_DEBUG);
		cli_verbose = true;
		argv++;
		argc--;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "privmem: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
