#!/usr/bin/env python3
"""Generates the image reference fixtures for Tests/VTPDataTests (Image*Tests.swift).

Ground truth comes from Pillow (decoding, convert("RGB"), Image.resize) and from re-statements of the
official VTP preprocessing (ADM center_crop_arr, torchvision Resize/CenterCrop/ToTensor/Normalize on PIL
images, the reconstruction script's de-normalisation) written with numpy float32 arithmetic.

Usage:  pip install pillow numpy && python3 scripts/make_image_fixtures.py
Writes: Tests/VTPDataTests/Fixtures/images/ (manifest.json + small binary/PNG/JPEG files).

Procedural test images are defined by `pattern()` below; Tests/VTPDataTests/ImageFixtureTests.swift implements the
same integer formula, so large cases only need a 64-bit FNV-1a hash of the expected bytes.
"""

import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image, features

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "VTPDataTests", "Fixtures", "images")

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}

# Pillow <= 12 always ran the horizontal pass first; Pillow 13 sometimes runs the vertical pass first.
# A one-axis resize runs exactly one pass in every version, so chaining two of them reproduces the
# Pillow 12 order exactly (verified against a real Pillow 12 with --check-legacy).
def resize_legacy(im, size, resample):
    w, h = size
    if resample == Image.Resampling.NEAREST or im.size == (w, h) or w == im.size[0] or h == im.size[1]:
        return im.resize(size, resample)
    return im.resize((w, im.size[1]), resample).resize((w, h), resample)


MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


# --------------------------------------------------------------------------------------------
# Helpers shared with the Swift side.

def pattern(w, h, seed):
    """Deterministic RGB test image (H, W, 3) uint8: ramps that wrap (sharp edges), blocks of a
    black/white checkerboard (forces overshoot + clipping in bicubic/lanczos) and pseudo-noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    out = np.zeros((h, w, 3), dtype=np.uint8)
    for c in range(3):
        base = (x * (c + 2) * 3 + y * (3 - c) * 5 + seed * 31) % 256
        noise = ((x * 131 + y * 197 + c * 71 + seed * 7) ** 2 % 251) % 41
        block = ((x // 13) + (y // 9) + c) % 4
        checker = np.where((x + y) % 2 == 0, 255, 0)
        v = np.where(block == 0, checker, base)
        v = np.where(block == 1, (v + noise) % 256, v)
        out[:, :, c] = v.astype(np.uint8)
    return out


def fnv1a64(data: bytes) -> str:
    arr = np.frombuffer(data, dtype=np.uint8)
    h = 0xCBF29CE484222325
    prime = 0x100000001B3
    mask = 0xFFFFFFFFFFFFFFFF
    for b in arr.tolist():
        h ^= b
        h = (h * prime) & mask
    return f"{h:016x}"


def write(name, data: bytes):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)


def raw_png(width, height, bit_depth, color_type, rows, interlace=False, extra=b"", bpp=None):
    """Minimal PNG writer for layouts Pillow cannot save (16-bit RGB(A)/LA, 2/4-bit gray, Adam7).
    rows: list of packed scanlines (bytes, no filter byte). bpp: bytes per pixel (interlace only)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    raw = bytearray()
    if not interlace:
        for i, r in enumerate(rows):
            # Alternate filter types 0 (none) and 1 (sub) so the decoder's unfiltering is exercised.
            if i % 2 == 1 and bpp:
                sub = bytearray(r)
                for j in range(len(r) - 1, bpp - 1, -1):
                    sub[j] = (r[j] - r[j - bpp]) & 0xFF
                raw += b"\x01" + bytes(sub)
            else:
                raw += b"\x00" + r
    else:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            for y in range(y0, height, dy):
                xs = list(range(x0, width, dx))
                if not xs:
                    continue
                line = b"".join(rows[y][x * bpp:(x + 1) * bpp] for x in xs)
                raw += b"\x00" + line
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + png_chunk(b"IEND", b""))


def pil_rgb_bytes(png_or_jpeg: bytes) -> bytes:
    im = Image.open(io.BytesIO(png_or_jpeg))
    return np.asarray(im.convert("RGB")).tobytes()


# --------------------------------------------------------------------------------------------
# Official preprocessing, restated.

def center_crop_arr(pil_image, image_size, resize=None):
    """ADM / VTP vtp/utils/image_utils.py center_crop_arr (resize: optional replacement of Image.resize)."""
    resize = resize or (lambda im, size, resample: im.resize(size, resample=resample))
    while min(*pil_image.size) >= 2 * image_size:
        pil_image = resize(pil_image, tuple(x // 2 for x in pil_image.size), Image.BOX)
    scale = image_size / min(*pil_image.size)
    pil_image = resize(pil_image, tuple(round(x * scale) for x in pil_image.size), Image.BICUBIC)
    arr = np.array(pil_image)
    crop_y = (arr.shape[0] - image_size) // 2
    crop_x = (arr.shape[1] - image_size) // 2
    return arr[crop_y: crop_y + image_size, crop_x: crop_x + image_size]


def tv_resize_int(img, size, resample=Image.BICUBIC, resize=None):
    """torchvision F.resize(img, size:int) on a PIL image (short side -> size, long = int(size*long/short))."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return img
    if resize:
        return resize(img, (new_w, new_h), resample)
    return img.resize((new_w, new_h), resample)


def tv_center_crop(img, size):
    """torchvision F.center_crop on a PIL image, including the zero padding for small images."""
    crop_h, crop_w = size, size
    w, h = img.size
    if crop_w > w or crop_h > h:
        pad_l = (crop_w - w) // 2 if crop_w > w else 0
        pad_t = (crop_h - h) // 2 if crop_h > h else 0
        pad_r = (crop_w - w + 1) // 2 if crop_w > w else 0
        pad_b = (crop_h - h + 1) // 2 if crop_h > h else 0
        canvas = Image.new(img.mode, (w + pad_l + pad_r, h + pad_t + pad_b), 0)
        canvas.paste(img, (pad_l, pad_t))
        img = canvas
        w, h = img.size
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return img.crop((left, top, left + crop_w, top + crop_h))


def to_tensor_normalize(arr_hwc):
    """ToTensor() + Normalize(MEAN, STD) in float32 (torch semantics), returned as CHW float32."""
    x = arr_hwc.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    m = np.array(MEAN, dtype=np.float64).astype(np.float32)[:, None, None]
    s = np.array(STD, dtype=np.float64).astype(np.float32)[:, None, None]
    return ((x - m) / s).astype(np.float32)


def denormalize_to_uint8(chw, rounding):
    """Reconstruction script: Normalize(-m/s, 1/s), clamp(0, 1), HWC, * 255.0, astype(uint8)."""
    m2 = np.array([-m / s for m, s in zip(MEAN, STD)], dtype=np.float64).astype(np.float32)[:, None, None]
    s2 = np.array([1 / s for s in STD], dtype=np.float64).astype(np.float32)[:, None, None]
    x = (chw - m2) / s2
    x = np.clip(x, np.float32(0), np.float32(1)).astype(np.float32)
    y = (x.transpose(1, 2, 0) * np.float32(255.0)).astype(np.float32)
    if rounding == "round":
        y = np.round(y)
    return y.astype(np.uint8)


# --------------------------------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    manifest = {
        "generator": "scripts/make_image_fixtures.py",
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "pattern": "pattern(w, h, seed) in make_image_fixtures.py / ImageFixtureTests.swift",
        "hash": "FNV-1a 64 over the raw bytes (uint8 HWC, or float32 little-endian)",
    }

    # ---- Source image as a file + its raw pixels (PNG decoding ground truth).
    src = pattern(31, 23, seed=1)
    buf = io.BytesIO()
    Image.fromarray(src).save(buf, "PNG")
    write("src_31x23.png", buf.getvalue())
    write("src_31x23.rgb", src.tobytes())
    manifest["source"] = {"png": "src_31x23.png", "raw": "src_31x23.rgb", "width": 31, "height": 23}

    # ---- Resize, every filter, small raw expectations concatenated in one blob.
    sizes = [(15, 11), (7, 19), (3, 2), (1, 1), (30, 23), (31, 9), (40, 29), (45, 13), (52, 25), (13, 40), (31, 24)]
    blob = bytearray()
    cases = []
    src_im = Image.fromarray(src)
    for fname, f in FILTERS.items():
        for (w, h) in sizes:
            out = np.asarray(src_im.resize((w, h), f)).tobytes()
            legacy = np.asarray(resize_legacy(src_im, (w, h), f)).tobytes()
            cases.append({"filter": fname, "width": w, "height": h, "offset": len(blob), "length": len(out),
                          "legacy_fnv1a64": fnv1a64(legacy), "order_matters": legacy != out})
            blob += out
    # Box argument (float region, including a fractional one and an integer crop).
    boxes = [((2.5, 1.25, 27.75, 20.5), (11, 9)), ((3, 4, 14, 12), (11, 8)), ((0, 0, 31, 23), (20, 17)),
             ((5.0, 0.0, 25.0, 23.0), (40, 23))]
    for fname in ("bilinear", "bicubic", "lanczos", "nearest"):
        for box, (w, h) in boxes:
            out = np.asarray(src_im.resize((w, h), FILTERS[fname], box=box)).tobytes()
            cases.append({"filter": fname, "width": w, "height": h, "box": list(box), "offset": len(blob),
                          "length": len(out)})
            blob += out
    write("resize_expected.bin", bytes(blob))
    manifest["resize"] = {"blob": "resize_expected.bin", "cases": cases}

    # ---- Larger resizes of procedural images (hash only).
    big = []
    for (sw, sh, seed, w, h, fname) in [(500, 375, 3, 256, 256, "bilinear"), (500, 375, 3, 341, 256, "bicubic"),
                                        (640, 480, 4, 97, 61, "lanczos"), (640, 480, 4, 160, 120, "box"),
                                        (123, 77, 5, 400, 250, "bicubic"), (123, 77, 5, 333, 111, "nearest"),
                                        (300, 200, 6, 77, 301, "hamming")]:
        im = Image.fromarray(pattern(sw, sh, seed))
        out = np.asarray(im.resize((w, h), FILTERS[fname])).tobytes()
        legacy = np.asarray(resize_legacy(im, (w, h), FILTERS[fname])).tobytes()
        big.append({"src_width": sw, "src_height": sh, "seed": seed, "width": w, "height": h, "filter": fname,
                    "fnv1a64": fnv1a64(out), "legacy_fnv1a64": fnv1a64(legacy)})
    manifest["resize_hashed"] = big

    # ---- Float (mode "F") resizes of one plane.
    fsrc = (pattern(19, 13, seed=2)[:, :, 0].astype(np.float32) / np.float32(7.3) - np.float32(11.5)).astype(np.float32)
    write("float_src_19x13.f32", fsrc.astype("<f4").tobytes())
    fblob = bytearray()
    fcases = []
    for fname, f in FILTERS.items():
        for (w, h) in [(9, 6), (30, 20), (19, 5), (7, 13), (40, 3)]:
            out = np.asarray(Image.fromarray(fsrc, mode="F").resize((w, h), f), dtype=np.float32)
            data = out.astype("<f4").tobytes()
            fcases.append({"filter": fname, "width": w, "height": h, "offset": len(fblob), "length": len(data)})
            fblob += data
    write("float_resize_expected.f32", bytes(fblob))
    manifest["float_resize"] = {"source": "float_src_19x13.f32", "width": 19, "height": 13,
                                "blob": "float_resize_expected.f32", "cases": fcases}

    # ---- Official preprocessing.
    pre = []
    small_blob = bytearray()
    for (sw, sh, seed, size) in [(500, 375, 7, 256), (500, 375, 7, 64), (1024, 700, 8, 256), (22, 16, 9, 12),
                                 (16, 22, 9, 12), (37, 90, 10, 17), (40, 40, 11, 20), (41, 40, 11, 20)]:
        arr = center_crop_arr(Image.fromarray(pattern(sw, sh, seed)), size)
        legacy = center_crop_arr(Image.fromarray(pattern(sw, sh, seed)), size, resize=resize_legacy)
        entry = {"kind": "adm", "src_width": sw, "src_height": sh, "seed": seed, "size": size,
                 "fnv1a64": fnv1a64(arr.tobytes()), "legacy_fnv1a64": fnv1a64(legacy.tobytes())}
        if arr.nbytes <= 2000:
            entry["offset"], entry["length"] = len(small_blob), arr.nbytes
            small_blob += arr.tobytes()
        pre.append(entry)
    for (sw, sh, seed, size) in [(500, 375, 7, 256), (375, 500, 7, 256), (50, 31, 12, 16), (31, 50, 12, 24)]:
        arr = np.asarray(Image.fromarray(pattern(sw, sh, seed)).resize((size, size), Image.BILINEAR))
        legacy = np.asarray(resize_legacy(Image.fromarray(pattern(sw, sh, seed)), (size, size), Image.BILINEAR))
        entry = {"kind": "squash", "src_width": sw, "src_height": sh, "seed": seed, "size": size,
                 "fnv1a64": fnv1a64(arr.tobytes()), "legacy_fnv1a64": fnv1a64(legacy.tobytes())}
        if arr.nbytes <= 2000:
            entry["offset"], entry["length"] = len(small_blob), arr.nbytes
            small_blob += arr.tobytes()
        pre.append(entry)
    for (sw, sh, seed, rs, cs) in [(500, 375, 7, 256, 224), (375, 500, 7, 256, 224), (256, 300, 13, 256, 224),
                                   (30, 40, 14, 20, 24), (61, 33, 15, 21, 16), (33, 61, 15, 20, 17)]:
        img = tv_center_crop(tv_resize_int(Image.fromarray(pattern(sw, sh, seed)), rs), cs)
        arr = np.asarray(img)
        legacy = np.asarray(tv_center_crop(tv_resize_int(Image.fromarray(pattern(sw, sh, seed)), rs,
                                                         resize=resize_legacy), cs))
        entry = {"kind": "linear_probe", "src_width": sw, "src_height": sh, "seed": seed, "resize": rs, "crop": cs,
                 "fnv1a64": fnv1a64(arr.tobytes()), "legacy_fnv1a64": fnv1a64(legacy.tobytes()),
                 "normalized_fnv1a64": fnv1a64(to_tensor_normalize(arr).astype("<f4").tobytes())}
        if arr.nbytes <= 2000:
            entry["offset"], entry["length"] = len(small_blob), arr.nbytes
            small_blob += arr.tobytes()
        pre.append(entry)
    write("preprocess_small.bin", bytes(small_blob))
    manifest["preprocess"] = {"blob": "preprocess_small.bin", "cases": pre}

    # ---- Normalisation and de-normalisation.
    norm_src = pattern(7, 5, seed=16)
    write("normalize_src_7x5.rgb", norm_src.tobytes())
    write("normalize_expected.f32", to_tensor_normalize(norm_src).astype("<f4").tobytes())
    rng = np.random.default_rng(1234)
    den_in = (to_tensor_normalize(norm_src) + rng.normal(0, 0.6, size=(3, 5, 7))).astype(np.float32)
    den_in[0, 0, 0] = np.float32(-10.0)
    den_in[1, 0, 1] = np.float32(10.0)
    den_in[2, 0, 2] = to_tensor_normalize(np.full((1, 1, 3), 255, np.uint8))[2, 0, 0]  # exactly 1.0 after denorm?
    write("denormalize_in.f32", den_in.astype("<f4").tobytes())
    write("denormalize_trunc.rgb", denormalize_to_uint8(den_in, "trunc").tobytes())
    write("denormalize_round.rgb", denormalize_to_uint8(den_in, "round").tobytes())
    manifest["normalize"] = {"src": "normalize_src_7x5.rgb", "width": 7, "height": 5,
                             "expected": "normalize_expected.f32", "denorm_input": "denormalize_in.f32",
                             "denorm_trunc": "denormalize_trunc.rgb", "denorm_round": "denormalize_round.rgb"}

    # ---- PNG colour types vs Pillow convert("RGB").
    png_cases = []

    def add_png(name, data):
        write(name, data)
        rgb = pil_rgb_bytes(data)
        im = Image.open(io.BytesIO(data))
        write(name + ".rgb", rgb)
        png_cases.append({"file": name, "expected": name + ".rgb", "width": im.size[0], "height": im.size[1],
                          "pil_mode": im.mode})

    base = pattern(13, 7, seed=20)
    gray = base[:, :, 0]

    def pil_png(im, **kw):
        b = io.BytesIO()
        im.save(b, "PNG", **kw)
        return b.getvalue()

    add_png("gray8.png", pil_png(Image.fromarray(gray, "L")))
    add_png("gray8_trns.png", pil_png(Image.fromarray(gray, "L"), transparency=int(gray[0, 0])))
    add_png("gray1.png", pil_png(Image.fromarray(gray > 127).convert("1")))
    g16 = (gray.astype(np.uint16) * 257 // 3 + np.arange(13, dtype=np.uint16)[None, :] * 5).astype(np.uint16)
    g16[0, :4] = [0, 255, 256, 65535]
    add_png("gray16.png", raw_png(13, 7, 16, 0, [r.astype(">u2").tobytes() for r in g16], bpp=2))
    for bd in (2, 4):
        vals = (gray.astype(np.int64) * ((1 << bd) - 1) // 255)
        rows = []
        for r in vals:
            bits = "".join(format(int(v), f"0{bd}b") for v in r)
            bits += "0" * (-len(bits) % 8)
            rows.append(int(bits, 2).to_bytes(len(bits) // 8, "big"))
        add_png(f"gray{bd}.png", raw_png(13, 7, bd, 0, rows))
    la = np.dstack([gray, base[:, :, 1]])
    add_png("gray_alpha8.png", pil_png(Image.fromarray(la, "LA")))
    la16 = (la.astype(np.uint16) * 257 + 3).astype(np.uint16)
    add_png("gray_alpha16.png", raw_png(13, 7, 16, 4, [r.astype(">u2").tobytes() for r in la16], bpp=4))
    pal_img = Image.fromarray(base).quantize(colors=40, dither=Image.Dither.NONE)
    add_png("palette8.png", pil_png(pal_img))
    add_png("palette8_trns.png", pil_png(pal_img, transparency=3))
    pal16 = Image.fromarray(base).quantize(colors=14, dither=Image.Dither.NONE)
    add_png("palette4.png", pil_png(pal16, bits=4))
    rgba = np.dstack([base, (np.arange(13 * 7).reshape(7, 13) * 3 % 256).astype(np.uint8)])
    add_png("rgba8.png", pil_png(Image.fromarray(rgba, "RGBA")))
    add_png("rgb8_trns.png", pil_png(Image.fromarray(base), transparency=tuple(int(v) for v in base[0, 0])))
    rgb16 = (base.astype(np.uint16) * 257 + np.arange(3, dtype=np.uint16) * 77).astype(np.uint16)
    add_png("rgb16.png", raw_png(13, 7, 16, 2, [r.astype(">u2").tobytes() for r in rgb16], bpp=6))
    rgba16 = np.dstack([rgb16, np.full((7, 13), 40000, np.uint16)]).astype(np.uint16)
    add_png("rgba16.png", raw_png(13, 7, 16, 6, [r.astype(">u2").tobytes() for r in rgba16], bpp=8))
    add_png("rgb8_interlaced.png", raw_png(13, 7, 8, 2, [r.tobytes() for r in base], interlace=True, bpp=3))
    add_png("rgb16_interlaced.png", raw_png(13, 7, 16, 2, [r.astype(">u2").tobytes() for r in rgb16],
                                            interlace=True, bpp=6))
    gama = png_chunk(b"gAMA", struct.pack(">I", 100000))  # gamma 1.0: must be ignored like Pillow
    add_png("rgb8_gamma.png", raw_png(13, 7, 8, 2, [r.tobytes() for r in base], extra=gama, bpp=3))
    manifest["png_modes"] = png_cases

    # ---- JPEG decoding vs Pillow (both libjpeg-turbo, default ISLOW + fancy upsampling).
    yy, xx = np.mgrid[0:31, 0:45].astype(np.float64)
    smooth = np.dstack([
        128 + 100 * np.sin(xx / 6.0) * np.cos(yy / 9.0),
        128 + 90 * np.cos((xx + yy) / 7.0),
        (xx * 5 + yy * 3) % 256,
    ]).clip(0, 255).astype(np.uint8)
    smooth[10:20, 10:25] = [250, 20, 30]  # sharp-edged block: chroma edges
    jpeg_cases = []

    def add_jpeg(name, im, **kw):
        b = io.BytesIO()
        im.save(b, "JPEG", **kw)
        data = b.getvalue()
        write(name, data)
        write(name + ".rgb", pil_rgb_bytes(data))
        opened = Image.open(io.BytesIO(data))
        jpeg_cases.append({"file": name, "expected": name + ".rgb", "width": opened.size[0],
                           "height": opened.size[1], "pil_mode": opened.mode})

    sm = Image.fromarray(smooth)
    add_jpeg("rgb_q90_420.jpg", sm, quality=90)
    add_jpeg("rgb_q75_444.jpg", sm, quality=75, subsampling=0)
    add_jpeg("rgb_q85_422.jpg", sm, quality=85, subsampling=1)
    add_jpeg("rgb_progressive.jpg", sm, quality=80, progressive=True)
    add_jpeg("gray_q90.jpg", sm.convert("L"), quality=90)
    add_jpeg("cmyk_q90.jpg", sm.convert("CMYK"), quality=90)
    manifest["jpeg_decode"] = jpeg_cases

    # Encoder reference: Pillow's bytes for the source image (we compare pixels, and bytes if equal).
    enc = []
    for q in (90, 75):
        b = io.BytesIO()
        sm.save(b, "JPEG", quality=q)
        write(f"pil_encoded_q{q}.jpg", b.getvalue())
        enc.append({"quality": q, "file": f"pil_encoded_q{q}.jpg", "source_jpeg_raw": "smooth_45x31.rgb"})
    write("smooth_45x31.rgb", smooth.tobytes())
    manifest["jpeg_encode"] = enc

    # ---- Malformed / hostile inputs that are easier to build here.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    write("huge_dims.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b""))
    good = open(os.path.join(OUT, "rgb_q90_420.jpg"), "rb").read()
    sof = good.find(b"\xff\xc0")
    assert sof > 0
    patched = bytearray(good)
    patched[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    write("huge_dims.jpg", bytes(patched))
    pngbytes = open(os.path.join(OUT, "src_31x23.png"), "rb").read()
    idat = pngbytes.find(b"IDAT")
    idat_len = struct.unpack(">I", pngbytes[idat - 4:idat])[0]
    bad = bytearray(pngbytes)
    bad[idat + 4 + idat_len] ^= 0x55  # first byte of the IDAT CRC: data intact, checksum wrong
    write("bad_crc.png", bytes(bad))
    b = io.BytesIO()
    Image.fromarray(base).save(b, "GIF")
    write("tiny.gif", b.getvalue())
    manifest["malformed"] = {"huge_png": "huge_dims.png", "huge_jpeg": "huge_dims.jpg", "bad_crc_png": "bad_crc.png",
                             "gif": "tiny.gif"}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes to {OUT}", file=sys.stderr)


def check_legacy():
    """Run with a Pillow 12 first on sys.path (e.g. pip install --target /tmp/pil12 'pillow<13';
    PYTHONPATH=/tmp/pil12 python3 scripts/make_image_fixtures.py --check-legacy): recomputes every
    legacy_fnv1a64 with that Pillow's own Image.resize and reports mismatches."""
    m = json.load(open(os.path.join(OUT, "manifest.json")))
    print("checking legacy hashes with Pillow", PIL.__version__, file=sys.stderr)
    assert int(PIL.__version__.split(".")[0]) <= 12, "needs Pillow <= 12"
    bad = 0
    total = 0
    src = Image.fromarray(np.frombuffer(open(os.path.join(OUT, m["source"]["raw"]), "rb").read(),
                                        np.uint8).reshape(23, 31, 3))
    for c in m["resize"]["cases"]:
        if "legacy_fnv1a64" not in c:
            continue
        total += 1
        got = fnv1a64(np.asarray(src.resize((c["width"], c["height"]), FILTERS[c["filter"]])).tobytes())
        bad += got != c["legacy_fnv1a64"]
    for c in m["resize_hashed"]:
        total += 1
        im = Image.fromarray(pattern(c["src_width"], c["src_height"], c["seed"]))
        got = fnv1a64(np.asarray(im.resize((c["width"], c["height"]), FILTERS[c["filter"]])).tobytes())
        bad += got != c["legacy_fnv1a64"]
    for c in m["preprocess"]["cases"]:
        total += 1
        im = Image.fromarray(pattern(c["src_width"], c["src_height"], c["seed"]))
        if c["kind"] == "adm":
            arr = center_crop_arr(im, c["size"])
        elif c["kind"] == "squash":
            arr = np.asarray(im.resize((c["size"], c["size"]), Image.BILINEAR))
        else:
            arr = np.asarray(tv_center_crop(tv_resize_int(im, c["resize"]), c["crop"]))
        bad += fnv1a64(arr.tobytes()) != c["legacy_fnv1a64"]
    print(f"{total - bad}/{total} legacy hashes reproduced", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if "--check-legacy" in sys.argv:
        check_legacy()
    else:
        main()
