#!/usr/bin/env python3
"""Writes held-out Fashion-MNIST test images as PNGs for the demo (examples/fashion-mnist/).

The first test image of each class (from Debian's dataset-fashion-mnist), 28x28 greyscale saved as RGB PNG,
named <index>-<class>.png. Standard library only (the PNG is written by hand: IHDR, one IDAT, IEND).
"""
import gzip, struct, sys, zlib, pathlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
out = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "examples/fashion-mnist")
out.mkdir(parents=True, exist_ok=True)
images = gzip.open(src / "t10k-images-idx3-ubyte.gz").read()[16:]
labels = gzip.open(src / "t10k-labels-idx1-ubyte.gz").read()[8:]

def png(path, pixels, w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(v for p in pixels[y * w:(y + 1) * w] for v in (p, p, p)) for y in range(h))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))

seen = set()
for i, label in enumerate(labels):
    if label in seen:
        continue
    seen.add(label)
    png(out / f"{i:05d}-{CLASSES[label]}.png", images[i * 784:(i + 1) * 784], 28, 28)
    if len(seen) == len(CLASSES):
        break
