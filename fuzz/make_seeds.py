#!/usr/bin/env python3
"""Writes the generated seeds of fuzz/corpus (the ELF and module seeds are real files,
see fuzz/README.md). Deterministic: run it again and nothing changes."""
import os, random, re, glob

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(17)

def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def rand(n):
    return bytes(rng.randrange(256) for _ in range(n))

# ext2: even first byte = writer against the model, odd = reader on a damaged image.
for i in range(8):
    put("ext2", f"writer-{i}", bytes([2 * i]) + rand(300 + 150 * i))
# A writer sequence that makes names, writes across the indirect blocks and remounts:
# op(create=0) dir name | op(write=3) dir name file off-kind off len byte | op(remount=11)
w = bytearray([0])
for name in range(6):
    w += bytes([0, 0, 0, name])
    w += bytes([1, 0, 0, name + 1])
for k in range(20):
    w += bytes([3, 0, 0, 0, k, 0, k, 1, 0, 0, 0x28, 0x23, k])
    w += bytes([9, 0, 0, 0, k, 0, 0, 0, 0, 0xff, 0x10])
w += bytes([11, 0, 0, 0])
put("ext2", "writer-structured", bytes(w))
for i in range(8):
    put("ext2", f"reader-{i}", bytes([2 * i + 1]) + rand(200 + 100 * i))
put("ext2", "reader-undamaged", bytes([1, 0]) + rand(300))

# shell: every case of the dash comparison scripts, and printf/test argument lines.
for path in sorted(glob.glob(os.path.join(here, "..", "tests", "sh", "*.sh"))):
    text = open(path, "rb").read()
    base = os.path.basename(path)[:-3]
    for k, case in enumerate(re.split(rb"(?m)^#### .*\n", text)):
        if case.strip():
            put("shell", f"{base}-{k:02}", case)
put("shell", "printf", b"echo $((1+2*3)) ${x:-y} \"$@\"\0%s-%5d|%-3x|%b\\n a 42 255 \\t\\c")
put("shell", "test", b"[ -e /x ]\0-n abc -a ( 1 -lt 2 -o ! -z x )")

# walk: link targets then calls, as bytes.
for i in range(8):
    put("walk", f"random-{i}", rand(100 + 60 * i))
