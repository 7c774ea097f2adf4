#!/usr/bin/env python3
"""Generates the fixtures of Tests/VTPDataTests/Dataset*Tests.swift and Augment*Tests.swift.

Ground truth comes from torchvision's functional transforms on PIL images (what DINOv2's
DataAugmentationDINO calls), Pillow itself, Python's tarfile/gzip/csv/json modules.

Usage:  pip install torch torchvision pillow numpy
        python3 scripts/make_augment_fixtures.py
Writes: Tests/VTPDataTests/Fixtures/datasets/ (manifest.json + small binary/PNG/JPEG/tar files).

Results on the whole 24-bit colour cube are stored as two sums (`sum_hash`); the Swift tests rebuild
the same inputs from the integer formulas below (`cube_image`, `pattern`).
"""

import gzip
import io
import json
import os
import struct
import tarfile

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms.functional as F
from PIL import Image, ImageFilter
from torchvision import transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "VTPDataTests", "Fixtures", "datasets")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def write(rel: str, data: bytes):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def pattern(w: int, h: int, seed: int) -> np.ndarray:
    """A test image: gradients, saturated blocks, grey patches, extremes and LCG noise (HWC uint8).
    Tests/VTPDataTests/AugmentFixtureTests.swift implements the same integer formula."""
    out = np.zeros((h, w, 3), dtype=np.uint8)
    state = seed & 0xFFFFFFFF
    for y in range(h):
        for x in range(w):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            noise = (state >> 16) & 0x3F
            region = (x * 4 // w) + 4 * (y * 3 // h)
            if region % 5 == 0:  # grey ramp (hue s == 0 path)
                v = (x * 255 // max(1, w - 1) + noise // 8) % 256
                px = (v, v, v)
            elif region % 5 == 1:  # saturated colours
                px = ((x * 37 + y * 11) % 256, (noise * 4) % 256, (255 - x * 9) % 256)
            elif region % 5 == 2:  # extremes
                px = (255 if (x + y) % 2 else 0, 255 if x % 3 == 0 else 0, (noise * 7) % 256)
            else:  # smooth gradient + noise
                px = ((x * 5 + noise) % 256, (y * 6 + noise // 2) % 256, (x * y + noise) % 256)
            out[y, x] = px
    return out


def cube_image() -> np.ndarray:
    """Every 24-bit colour once: 4096 x 4096, pixel (x, y) = (x % 256, (x // 256) * 16 + y % 16, y // 16)."""
    xs = np.arange(4096)
    ys = np.arange(4096)
    r = np.broadcast_to((xs % 256)[None, :], (4096, 4096))
    g = (xs // 256)[None, :] * 16 + (ys % 16)[:, None]
    b = np.broadcast_to((ys // 16)[:, None], (4096, 4096))
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def sum_hash(arr: np.ndarray) -> dict:
    """Cheap, order-sensitive digest for the 50 MB cube results: sum and position-weighted sums mod 2^64."""
    flat = arr.reshape(-1).astype(np.uint64)
    idx = np.arange(flat.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        weighted = int(np.sum(flat * (idx % np.uint64(65521) + np.uint64(1)), dtype=np.uint64))
    return {"sum": int(flat.sum()), "weighted": weighted}


def main():
    manifest = {
        "versions": {"pillow": PIL.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__},
        "augment": {},
        "datasets": {},
    }
    aug = manifest["augment"]

    # ---------------------------------------------------------------- colour (torchvision F.adjust_*)
    src = pattern(48, 40, 7)
    img = Image.fromarray(src, "RGB")
    write("augment/src_48x40.rgb", src.tobytes())
    aug["source"] = {"file": "augment/src_48x40.rgb", "width": 48, "height": 40, "seed": 7,
                     "fnv": fnv1a64(src.tobytes())}
    cases = []

    def add(op, params, out_img):
        arr = np.asarray(out_img.convert("RGB"), dtype=np.uint8)
        name = f"augment/{op}_{len(cases)}.rgb"
        write(name, arr.tobytes())
        cases.append({"op": op, "params": params, "file": name, "width": arr.shape[1], "height": arr.shape[0]})

    for f in [0.0, 0.6, 0.8731, 1.0, 1.3, 1.4]:
        add("brightness", {"factor": f}, F.adjust_brightness(img, f))
    for f in [0.0, 0.6, 0.91, 1.2, 1.4]:
        add("contrast", {"factor": f}, F.adjust_contrast(img, f))
    for f in [0.0, 0.8, 1.13, 1.2, 1.9]:
        add("saturation", {"factor": f}, F.adjust_saturation(img, f))
    for f in [-0.5, -0.1, -0.0371, 0.0, 0.05, 0.0999, 0.1, 0.5]:
        add("hue", {"factor": f}, F.adjust_hue(img, f))
    add("grayscale", {}, F.rgb_to_grayscale(img, num_output_channels=3))
    for t in [128, 100, 0, 256]:
        add("solarize", {"threshold": t}, F.solarize(img, t))
    for r in [0.1, 0.37, 1.0, 1.7, 2.0, 6.5]:
        add("pil_blur", {"radius": r}, img.filter(ImageFilter.GaussianBlur(r)))
    for k, s in [(9, 0.1), (9, 0.7), (9, 1.3), (9, 2.0), (3, 0.8), (5, 1.5)]:
        add("tv_blur", {"kernel": k, "sigma": s}, F.gaussian_blur(img, [k, k], [s, s]))
    for (i, j, h, w, size) in [(3, 5, 27, 30, 24), (0, 0, 40, 48, 32), (10, 20, 9, 7, 20), (1, 2, 30, 19, 16)]:
        out = F.resized_crop(img, i, j, h, w, [size, size], interpolation=T.InterpolationMode.BICUBIC)
        add("resized_crop", {"y": i, "x": j, "height": h, "width": w, "size": size}, out)
    # Colour jitter with fixed factors and orders (ColorJitter.forward with get_params pinned).
    for order, b, c, s, h in [([0, 1, 2, 3], 1.21, 0.74, 1.08, 0.031), ([3, 2, 1, 0], 0.66, 1.33, 0.85, -0.09),
                              ([2, 0, 3, 1], 1.39, 0.61, 1.19, 0.1)]:
        out = img
        for fn in order:
            if fn == 0:
                out = F.adjust_brightness(out, b)
            elif fn == 1:
                out = F.adjust_contrast(out, c)
            elif fn == 2:
                out = F.adjust_saturation(out, s)
            else:
                out = F.adjust_hue(out, h)
        add("jitter", {"order": order, "brightness": b, "contrast": c, "saturation": s, "hue": h}, out)
    aug["cases"] = cases

    # RandomResizedCrop fallback (scale > 1 makes every try fail) for several aspect ratios.
    fallbacks = []
    for (w, h) in [(100, 20), (20, 100), (50, 40), (40, 50), (7, 3), (64, 64)]:
        dummy = Image.new("RGB", (w, h))
        i, j, hh, ww = T.RandomResizedCrop.get_params(dummy, scale=[2.0, 3.0], ratio=[3 / 4, 4 / 3])
        fallbacks.append({"width": w, "height": h, "x": j, "y": i, "crop_width": ww, "crop_height": hh})
    aug["crop_fallback"] = fallbacks

    # One DINOv2 global-crop-2 pipeline with pinned randomness, to ToTensor + Normalize float32.
    src2 = pattern(64, 56, 11)
    img2 = Image.fromarray(src2, "RGB")
    write("augment/src_64x56.rgb", src2.tobytes())
    p = {"y": 4, "x": 9, "height": 45, "width": 50, "size": 32, "flip": True, "order": [1, 3, 0, 2],
         "brightness": 1.17, "contrast": 0.83, "saturation": 0.92, "hue": -0.043, "gray": False,
         "sigma": 1.1, "solarize": True}
    out = F.resized_crop(img2, p["y"], p["x"], p["height"], p["width"], [p["size"], p["size"]],
                         interpolation=T.InterpolationMode.BICUBIC)
    out = F.hflip(out)
    for fn in p["order"]:
        out = [lambda o: F.adjust_brightness(o, p["brightness"]), lambda o: F.adjust_contrast(o, p["contrast"]),
               lambda o: F.adjust_saturation(o, p["saturation"]), lambda o: F.adjust_hue(o, p["hue"])][fn](out)
    out = F.gaussian_blur(out, [9, 9], [p["sigma"], p["sigma"]])
    out = F.solarize(out, 128)
    tensor = T.Normalize(MEAN, STD)(T.ToTensor()(out)).numpy().astype("<f4")
    write("augment/pipeline_expected.f32", tensor.tobytes())
    write("augment/pipeline_expected_u8.rgb", np.asarray(out, dtype=np.uint8).tobytes())
    aug["pipeline"] = {"source": "augment/src_64x56.rgb", "source_width": 64, "source_height": 56, "params": p,
                       "expected": "augment/pipeline_expected.f32", "expected_u8": "augment/pipeline_expected_u8.rgb"}

    # Whole-colour-cube digests (16.7M pixels) for hue/saturation/contrast.
    cube = cube_image()
    cube_img = Image.fromarray(cube, "RGB")
    digests = []
    for op, f in [("hue", 0.1), ("hue", -0.2537), ("saturation", 1.37), ("contrast", 0.71), ("brightness", 1.29)]:
        fn = {"hue": F.adjust_hue, "saturation": F.adjust_saturation, "contrast": F.adjust_contrast,
              "brightness": F.adjust_brightness}[op]
        res = np.asarray(fn(cube_img, f), dtype=np.uint8)
        digests.append({"op": op, "factor": f, **sum_hash(res)})
    aug["cube_digests"] = digests

    # ---------------------------------------------------------------- datasets
    ds = manifest["datasets"]
    # IDX: 3 images of 5 (rows) x 4 (cols), labels 2, 9, 0.
    images = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4) * 4
    labels = np.array([2, 9, 0], dtype=np.uint8)
    img_idx = struct.pack(">I", 0x0803) + struct.pack(">III", 3, 5, 4) + images.tobytes()
    lab_idx = struct.pack(">I", 0x0801) + struct.pack(">I", 3) + labels.tobytes()
    write("idx/train-images-idx3-ubyte", img_idx)                    # raw
    write("idx/train-labels-idx1-ubyte.gz", gzip.compress(lab_idx, mtime=0))  # gzip
    write("idx/t10k-images-idx3-ubyte.gz",
          gzip.compress(struct.pack(">I", 0x0803) + struct.pack(">III", 2, 5, 4) + images[:2].tobytes(), mtime=0))
    write("idx/t10k-labels-idx1-ubyte.gz", gzip.compress(struct.pack(">I", 0x0801) + struct.pack(">I", 2) +
                                                         labels[:2].tobytes(), mtime=0))
    ds["idx"] = {"train_count": 3, "test_count": 2, "rows": 5, "cols": 4, "labels": labels.tolist(),
                 "image1_fnv": fnv1a64(images[1].tobytes())}

    real = "/usr/share/datasets/fashion-mnist"
    if os.path.exists(os.path.join(real, "train-labels-idx1-ubyte.gz")):
        with gzip.open(os.path.join(real, "train-labels-idx1-ubyte.gz")) as f:
            lab = np.frombuffer(f.read()[8:], dtype=np.uint8)
        with gzip.open(os.path.join(real, "train-images-idx3-ubyte.gz")) as f:
            im = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 28, 28)
        with gzip.open(os.path.join(real, "t10k-labels-idx1-ubyte.gz")) as f:
            tlab = np.frombuffer(f.read()[8:], dtype=np.uint8)
        ds["fashion_mnist"] = {"train_count": int(lab.size), "test_count": int(tlab.size),
                               "train_first_labels": lab[:10].tolist(), "test_first_labels": tlab[:10].tolist(),
                               "train_image0_fnv": fnv1a64(im[0].tobytes()),
                               "train_label_histogram": np.bincount(lab, minlength=10).tolist()}

    def png(color, size=(8, 6)):
        buf = io.BytesIO()
        Image.new("RGB", size, color).save(buf, "PNG")
        return buf.getvalue()

    def jpg(color, size=(8, 6)):
        buf = io.BytesIO()
        Image.new("RGB", size, color).save(buf, "JPEG", quality=95)
        return buf.getvalue()

    # Caption folders.
    for folder in ["folder_csv", "folder_jsonl"]:
        write(f"{folder}/a.png", png((255, 0, 0)))
        write(f"{folder}/b.jpg", jpg((0, 0, 255)))
        write(f"{folder}/sub/c.png", png((0, 255, 0), (5, 7)))
        write(f"{folder}/corrupt.png", png((1, 2, 3))[:40])
    csv_text = ('file,caption,extra\r\n'
                'a.png,"a red square, plain",x\r\n'
                'b.jpg,"a ""blue"" picture\non two lines",y\r\n'
                '\r\n'
                'sub/c.png,green,z\r\n'
                'corrupt.png,broken image,w\r\n'
                'missing.png,no such file,v\r\n'
                'a.png,,u\r\n'
                'a.png,too,many,fields\r\n')
    write("folder_csv/captions.csv", b"\xef\xbb\xbf" + csv_text.encode())
    jsonl = [json.dumps({"file": "a.png", "caption": "a red square"}),
             json.dumps({"file": "b.jpg", "caption": "caf\u00e9 \u2014 \"blue\""}, ensure_ascii=False),
             "",
             "{not json",
             json.dumps({"file": "sub/c.png"}),
             json.dumps({"file": "sub/c.png", "caption": 7}),
             json.dumps(["a.png", "x"]),
             json.dumps({"file": "corrupt.png", "caption": "broken image"}),
             json.dumps({"file": "sub/c.png", "caption": "  green  "})]
    write("folder_jsonl/captions.jsonl", ("\n".join(jsonl) + "\n").encode())

    # Class folders.
    write("classes/cat/1.png", png((200, 100, 50)))
    write("classes/cat/0.PNG", png((10, 20, 30)))
    write("classes/golden_retriever/x/deep.jpg", jpg((250, 200, 0)))
    write("classes/golden_retriever/notes.txt", b"not an image")
    write("classes/Zebra/z.png", png((0, 0, 0)))
    write("classes/readme.md", b"loose file")

    # Tar shards.
    def add_member(tf, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        tf.addfile(info, io.BytesIO(data))

    def make_tar(fmt, members):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
            for name, data in members:
                if data is None:
                    info = tarfile.TarInfo(name)
                    info.type = tarfile.DIRTYPE
                    info.mtime = 0
                    tf.addfile(info)
                else:
                    add_member(tf, name, data)
        return buf.getvalue()

    long_dir = "d" * 60 + "/" + "e" * 60
    shard0 = make_tar(tarfile.USTAR_FORMAT, [
        ("samples", None),
        ("samples/000.jpg", jpg((255, 0, 0))), ("samples/000.txt", b"a red picture\n"),
        ("samples/001.png", png((0, 255, 0))), ("samples/001.caption", "caf\u00e9 green".encode()),
        ("samples/001.cls", b"3\n"),
        ("samples/002.jpg", jpg((0, 0, 255))),  # no caption
        ("samples/003.txt", b"caption without image"),
        ("samples/004.png", png((9, 9, 9))[:30]), ("samples/004.txt", b"corrupt image"),
        ("samples/005.seg.png", png((1, 1, 1))), ("samples/005.JPG", jpg((128, 128, 0))),
        ("samples/005.TXT", b"upper-case extensions"),
        (long_dir + "/006.png", png((5, 6, 7))), (long_dir + "/006.txt", b"ustar prefix name"),
        ("samples/007.png", png((0, 0, 0))), ("samples/007.txt", b""),
    ])
    write("shards/shard-000.tar", shard0)
    very_long = "x" * 150 + "/sample_with_a_long_name"
    shard1 = make_tar(tarfile.GNU_FORMAT, [
        (very_long + ".png", png((10, 200, 10))), (very_long + ".txt", b"gnu long name"),
        ("short.jpg", jpg((20, 20, 20))), ("short.txt", b"short"),
    ])
    write("shards/shard-001.tar", shard1)
    shard2 = make_tar(tarfile.PAX_FORMAT, [
        ("p\u00e4x/" + "y" * 120 + ".png", png((1, 100, 200))), ("p\u00e4x/" + "y" * 120 + ".txt", "pax \u00fc".encode()),
    ])
    write("shards/shard-002.tar", shard2)
    truncated = make_tar(tarfile.USTAR_FORMAT, [
        ("t/000.png", png((1, 2, 3))), ("t/000.txt", b"kept"),
        ("t/001.png", png((4, 5, 6), (40, 40))), ("t/001.txt", b"lost"),
    ])
    cut = truncated.index(b"t/001.png") + 512 + 20
    write("shards/truncated.tar", truncated[:cut])
    bad = bytearray(make_tar(tarfile.USTAR_FORMAT, [("k/0.png", png((1, 1, 1))), ("k/0.txt", b"ok"),
                                                     ("k/1.png", png((2, 2, 2))), ("k/1.txt", b"after damage")]))
    second = bad.index(b"k/1.png")
    bad[second + 1] ^= 0x20  # corrupt the name of the third header: checksum no longer matches
    write("shards/badchecksum.tar", bytes(bad))
    ds["shards"] = {"long_dir": long_dir, "very_long": very_long}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
