// SPDX-License-Identifier: MIT
/*
 * privmem info [--json]: what this host offers privmem (pm_host_probe()),
 * as a readable report or as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: privmem info [--json]\n"
		"\n"
		"Report what this host offers privmem: KVM and guest_memfd,\n"
		"memory backends, pinning limits and IOMMU nodes.\n"
		"\n"
		"  -j, --json   print the report as JSON\n"
		"  -h, --help   show this help\n");
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pm_host_info h;
	bool json = false;
	json_object *o;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "privmem info: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}

	rc = pm_host_probe(&h);
	if (rc < 0) {
		fprintf(stderr, "privmem info: probing the host failed: %s\n",
			strerror(-rc));
		return 1;
	}
	if (!json) {
		host_print(stdout, &h);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			fprintf(stderr, "privmem: cannot write to stdout\n");
			return 1;
		}
		return 0;
	}
	o = host_json(&h);
	if (!o) {
		fprintf(stderr, "privmem info: out of memory\n");
		return 1;
	}
	json_print(o);
	json_object_put(o);
	return 0;
}
