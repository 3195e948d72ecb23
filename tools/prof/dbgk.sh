#!/bin/bash
# Build WT's kernel with line tables into WT/target/kernel-dbg (same codegen flags).
cd $1 && CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_ENCODED_RUSTFLAGS=$(printf -- '-Crelocation-model=static\x1f-Ccode-model=kernel\x1f-Cno-redzone=yes\x1f-Cforce-frame-pointers=yes\x1f--cfg=dinos_kernel') cargo build --release -p kernel --target x86_64-unknown-linux-gnu --target-dir target/kernel-dbg 2>&1 | tail -1
echo $1/target/kernel-dbg/x86_64-unknown-linux-gnu/release/kernel
