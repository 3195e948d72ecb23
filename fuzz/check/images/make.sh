#!/bin/sh
# Rebuilds the base images of the ext2 fuzz target (committed, so runs are reproducible):
#   empty.ext2     1 MiB, 1 KiB blocks, 64 inodes: the writer's starting point
#   populated.ext2 256 KiB, 1 KiB blocks: every inode kind and every block-map level but
#                  triple, for the reader on corrupt images
set -e
cd "$(dirname "$0")"
export E2FSPROGS_FAKE_TIME=1700000000
opts="-q -F -t ext2 -b 1024 -N 64 -U 01234567-89ab-cdef-0123-456789abcdef -E hash_seed=01234567-89ab-cdef-0123-456789abcdef"
rm -f empty.ext2 populated.ext2
mke2fs $opts empty.ext2 1m
t=$(mktemp -d)
mkdir -p "$t/a/b/c"
printf small > "$t/a/small"
head -c 20000 /dev/zero | tr '\0' 'm' > "$t/a/b/mid"
head -c 150000 /dev/zero | tr '\0' 'B' > "$t/big"
ln -s a/small "$t/fast"
ln -s "$(printf '%0200d' 0)" "$t/slow"
ln "$t/a/small" "$t/a/b/hard"
for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do printf "$i" > "$t/a/b/c/n$i"; done
find "$t" -exec touch -h -d @1700000000 {} +
mke2fs $opts -d "$t" populated.ext2 256k
rm -rf "$t"
