#!/usr/bin/env python3
"""Write src/matcher/common-grams.bin: the 16,384 four-byte sequences most common in source
code, most common first, each as a little-endian u32 with bit 5 of every byte set (the
folding the keyword search uses). The keyword search anchors each keyword on its four bytes
least common here, so that fewer positions of ordinary code pass its filter.

The corpus is reproducible: the sources of sprawl's own dependencies as Cargo.lock pins them
(`cargo fetch` puts them in $CARGO_HOME/registry/src), text files only (no NUL in their first
8 KiB, at most 4 MiB).

    python3 scripts/common-grams.py
"""
import collections
import os
import pathlib
import re
import struct
import sys

KEEP = 16384
root = pathlib.Path(__file__).resolve().parent.parent
lock = (root / "Cargo.lock").read_text()
pinned = set(re.findall(r'name = "([^"]+)"\nversion = "([^"]+)"', lock))
registry = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo")) / "registry" / "src"
fold = bytes(b | 0x20 for b in range(256))
counts = collections.Counter()
crates = 0
for index in sorted(registry.iterdir()):
    for crate in sorted(index.iterdir()):
        name, _, version = crate.name.rpartition("-")
        if (name, version) not in pinned:
            continue
        crates += 1
        for path in sorted(crate.rglob("*")):
            if not path.is_file() or path.stat().st_size > 4 << 20:
                continue
            data = path.read_bytes()
            if b"\0" in data[:8192]:
                continue
            data = data.translate(fold)
            for offset in range(4):
                whole = (len(data) - offset) // 4 * 4
                counts.update(w for (w,) in struct.iter_unpack("<I", data[offset:offset + whole]))
if crates == 0:
    sys.exit(f"no pinned crate sources under {registry}: run `cargo fetch` first")
top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:KEEP]
out = root / "src" / "matcher" / "common-grams.bin"
out.write_bytes(b"".join(struct.pack("<I", gram) for gram, _ in top))
print(f"{crates} crates, {sum(counts.values())} positions, {len(counts)} distinct; kept {len(top)} in {out}")
