#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail if library code calls libc allocation or system calls directly.

Every allocation and system call in lib/ must go through lib/common/sys.c
(kmalloc, sys_open, sys_ioctl, ...), so that errors are -errno and every
call is a fault-injection point. This lint strips comments and strings and
looks for calls of the forbidden names that are not member accesses.
"""
import os
import re
import sys

FORBIDDEN = """malloc calloc realloc reallocarray free strdup strndup
aligned_alloc posix_memalign valloc memalign mmap mmap64 munmap mremap
mprotect madvise mlock mlock2 munlock mlockall ioctl open open64 openat
openat64 creat close dup dup2 dup3 fcntl read write pread pwrite pread64
pwrite64 readv writev preadv pwritev fallocate ftruncate truncate
memfd_create syscall eventfd socket pipe pipe2 fork vfork clone
pthread_create process_vm_readv process_vm_writev fopen fdopen opendir
stat lstat fstat access uname getrlimit setrlimit userfaultfd
sigaction signal timer_create""".split()

ALLOWED_FILES = {os.path.join("lib", "common", "sys.c")}

pat = re.compile(r"(?<![\w.>])(" + "|".join(FORBIDDEN) + r")\s*\(")


def strip(src):
    src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), src,
                 flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r'"(\\.|[^"\\])*"', '""', src)
    src = re.sub(r"'(\\.|[^'\\])*'", "''", src)
    return src


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = []
    nfiles = 0
    for d, _, files in os.walk(os.path.join(root, "lib")):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            if rel in ALLOWED_FILES:
                continue
            nfiles += 1
            with open(path) as fh:
                text = strip(fh.read())
            for i, line in enumerate(text.split("\n"), 1):
                if line.lstrip().startswith("#"):
                    continue
                for m in pat.finditer(line):
                    bad.append(f"{rel}:{i}: direct call to {m.group(1)}()")
    for b in bad:
        print(b)
    if nfiles == 0:
        print("lint: no library sources found")
        return 1
    print(f"lint: {nfiles} files checked, {len(bad)} direct calls")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
