#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared library exports exactly the pm_* names (lib/privmem.map)."""
import subprocess
import sys

out = subprocess.run(["nm", "-D", "--defined-only", sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout
syms = [l.split()[-1] for l in out.splitlines() if len(l.split()) >= 3]
syms = [s.split("@")[0] for s in syms if not s.startswith("PRIVMEM_")]
bad = [s for s in syms if not s.startswith("pm_")]
for s in bad:
    print("exported without the pm_ prefix:", s)
needed = ["pm_version", "pm_set_log", "pm_fault_arm", "pm_host_probe"]
missing = [s for s in needed if s not in syms]
for s in missing:
    print("not exported:", s)
print(f"abi: {len(syms)} exported symbols")
sys.exit(1 if bad or missing or not syms else 0)
