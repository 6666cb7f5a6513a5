#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Embed a flat binary as a C array: bin2c.py INPUT OUTPUT SYMBOL."""
import sys

data = open(sys.argv[1], "rb").read()
sym = sys.argv[3]
with open(sys.argv[2], "w") as out:
    out.write("/* Generated from %s by guest/bin2c.py. */\n" % sys.argv[1].split("/")[-1])
    out.write("#include <stdint.h>\n")
    out.write("extern const unsigned char %s[];\n" % sym)
    out.write("extern const uint64_t %s_len;\n" % sym)
    out.write("const unsigned char %s[] __attribute__((aligned(4096))) = {\n" % sym)
    for i in range(0, len(data), 12):
        out.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",\n")
    out.write("};\n")
    out.write("const uint64_t %s_len = %d;\n" % (sym, len(data)))
