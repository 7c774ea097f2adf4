#!/usr/bin/env python3
"""Generates the VTP configuration-variant fixtures in Tests/VTPModelsTests/Fixtures/variants/ with the
**official** VTP PyTorch code (github.com/MiniMax-AI/VTP), which is imported from a checkout outside this
repository; no official code is copied here.

    git -C <mirror of MiniMax-AI/VTP> archive HEAD | tar -x -C /tmp/vtp_official
    pip install torch "transformers>=5" safetensors numpy omegaconf
    VTP_OFFICIAL=/tmp/vtp_official python3 scripts/make_variant_fixtures.py [--only NAME ...]
    VTP_OFFICIAL=/tmp/vtp_official python3 scripts/make_variant_fixtures.py --check-vtp-tiny

Every variant is made exactly like the `vtp-tiny` fixture (see Fixtures/vtp-tiny/README.md): official
construction under torch.manual_seed(1234), then every parameter re-randomised from
torch.Generator().manual_seed(5678) in named_parameters() order (same rules as vtp-tiny), eval mode,
no_grad, CPU, float32, one thread. `--check-vtp-tiny` rebuilds vtp-tiny with this code and checks that the
weights and both expected files come out bit-identical to the committed fixture.

Per variant folder: model/config.json + model/model.safetensors (official save_pretrained,
safe_serialization=True), inputs.safetensors, expected.safetensors (official numerics: bf16 RoPE),
expected_rope_fp32.safetensors (RoPE modules switched to float32 on an in-memory copy). The variants'
README.md (with the measured tolerance tables) is written too.

torchvision is only needed by an unused official import (torchvision.ops.misc.FrozenBatchNorm2d); when it
is not installed a placeholder module is registered (no effect on numerics).
"""
import argparse
import copy
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import types

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "VTPModelsTests", "Fixtures", "variants")
VTP_TINY = os.path.join(ROOT, "Tests", "VTPModelsTests", "Fixtures", "vtp-tiny")

# ---------------------------------------------------------------------------------------------------------
# Variants. `base` holds the fields shared by all; each variant overrides some. Every field not named here is
# the VTPConfig default (model/config.json lists them all).
# ---------------------------------------------------------------------------------------------------------
BASE = dict(
    image_size=32,
    vision_patch_size=16,
    vision_embed_dim=32,
    vision_depth=2,
    vision_num_heads=2,
    vision_feature_bottleneck=8,
    decoder_embed_dim=32,
    decoder_depth=2,
    decoder_num_heads=2,
    text_embed_dim=32,
    text_num_heads=2,
    text_depth=2,
    text_vocab_size=256,
    text_context_length=16,
)

VARIANTS = [
    dict(
        name="layernorm-mlp-layerscale",
        hw=(32, 48),
        fields=dict(vision_embed_dim=48, vision_mlp_ratio=2.0, vision_norm_layer="layernorm", vision_ffn_layer="mlp",
                    vision_init_values=0.5,
                    decoder_norm_layer="rmsnorm", decoder_ffn_layer="swiglu64", decoder_init_values=0.5),
        exercises="vision LayerNorm (eps 1e-6, with bias), vision plain MLP (fc1/GELU(erf)/fc2, hidden 96 = 48 x "
                  "ratio 2), vision and decoder "
                  "LayerScale (ls1/ls2 gamma), decoder RMSNorm (eps 1e-5, no bias), decoder SwiGLU with hidden aligned "
                  "to 64 (int(128*2/3)=85 -> 128), vision head dim 24 (6 RoPE periods, not a power of two)",
    ),
    dict(
        name="qknorm-nonsquare",
        hw=(32, 64),
        fields=dict(vision_embed_dim=64, vision_num_heads=4, vision_mlp_ratio=2.0, vision_norm_layer="layernormbf16",
                    vision_use_qk_norm=True, decoder_use_qk_norm=True, train_clip=False),
        exercises="q/k RMSNorm over the head dim (eps 1e-5, weight [head_dim]) in encoder and decoder, applied "
                  "before RoPE; 'layernormbf16' (= nn.LayerNorm eps 1e-5, float32 like the others); 4 heads of 16; "
                  "non-square 2x4 patch grid (RoPE coordinates normalised separately per axis); vision SwiGLU hidden "
                  "int(128*2/3)=85 -> 88; no text tower (only to keep the folder under 1 MB)",
    ),
    dict(
        name="text-options",
        hw=(32, 48),
        fields=dict(text_quick_gelu=True, text_ls_init_value=0.5, text_proj_bias=True, text_pool_type="last",
                    init_logit_bias=-2.0, nonscalar_logit_scale=True, init_logit_scale=2.5),
        exercises="text QuickGELU x*sigmoid(1.702x), text LayerScale (ls_1/ls_2 gamma), text projection as "
                  "nn.Linear with bias (weight [out,in], x @ W^T + b), 'last' pooling (position context-1, "
                  "whatever token is there), logit_bias added to the logits, logit_scale/logit_bias of shape [1] "
                  "(nonscalar), init_logit_scale 2.5 (exp = 12.18)",
    ),
    dict(
        name="no-bottleneck-pooled",
        hw=(48, 32),
        fields=dict(vision_feature_bottleneck=None, vision_clip_feat="pooled", vision_bottleneck_ae_only=False,
                    text_no_causal_mask=True, text_pool_type="first"),
        exercises="no feature_bottleneck layer (vision_feature_bottleneck null -> embed dim; latents have 32 "
                  "channels, the decoder's proj_in takes 32), CLIP image feature = mean of the normed patch tokens, "
                  "text attention without any mask (bidirectional, padding attended), 'first' pooling (position 0); "
                  "portrait 3x2 grid",
    ),
    dict(
        name="vision-only",
        hw=(48, 32),
        fields=dict(train_clip=False, decoder_init_values=0.5),
        exercises="train_clip false: no text tower, no visual_proj, no logit_scale (no clip_* keys, no tokens "
                  "input); decoder LayerScale with the default LayerNorm decoder; portrait 3x2 grid",
    ),
    dict(
        name="no-decoder",
        hw=(32, 48),
        fields=dict(train_reconstruction=False),
        exercises="train_reconstruction false: no pixel_decoder (no reconstruction key); latents (the bottlenecked "
                  "patch tokens) are still produced",
    ),
    dict(
        name="bottleneck-clip-cls",
        hw=(48, 48),
        fields=dict(vision_bottleneck_ae_only=False, vision_clip_feat="cls"),
        exercises="vision_bottleneck_ae_only false WITH a bottleneck: the CLIP image feature is the bottlenecked "
                  "(8-dim) CLS token, so visual_proj is [32, 8]; odd 3x3 grid",
    ),
    dict(
        name="patch8-ratios-noproj",
        hw=(32, 24),
        fields=dict(vision_patch_size=8, vision_mlp_ratio=2.5, vision_ffn_layer="swiglu32", text_mlp_ratio=2.0,
                    text_proj_type="none", decoder_ffn_layer="mlp", decoder_norm_layer="layernormbf16"),
        exercises="patch size 8 (the pixel decoder always upsamples by 16, so the reconstruction is twice the "
                  "input size: 64x48 from a 32x24 image), vision_mlp_ratio 2.5 with SwiGLU aligned to 32 "
                  "(hidden int(32*2.5)=80, int(80*2/3)=53 -> 64), text_mlp_ratio 2 (c_fc 64), no text projection (text_proj_type 'none': "
                  "the pooled, ln_final-normed width-32 vector is the text feature), decoder plain MLP and "
                  "'layernormbf16'",
    ),
]


# ---------------------------------------------------------------------------------------------------------
# Official code
# ---------------------------------------------------------------------------------------------------------
def import_official(path):
    path = os.path.abspath(path)
    if not os.path.isdir(os.path.join(path, "vtp")):
        raise SystemExit(f"official VTP checkout not found at {path} (set VTP_OFFICIAL or --official)")
    try:
        import torchvision.ops.misc  # noqa: F401
        stub = False
    except ImportError:
        import torch
        tv = types.ModuleType("torchvision")
        ops = types.ModuleType("torchvision.ops")
        misc = types.ModuleType("torchvision.ops.misc")

        class FrozenBatchNorm2d(torch.nn.Module):  # placeholder: the official import is unused by VTPModel
            pass

        misc.FrozenBatchNorm2d = FrozenBatchNorm2d
        tv.ops, ops.misc = ops, misc
        sys.modules.update({"torchvision": tv, "torchvision.ops": ops, "torchvision.ops.misc": misc})
        stub = True
    sys.path.insert(0, path)
    from vtp.models.vtp_hf import VTPConfig, VTPModel
    from vtp.models.layers import RopePositionEmbedding
    commit = None
    try:
        commit = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except Exception:
        pass
    return VTPConfig, VTPModel, RopePositionEmbedding, stub, commit


# ---------------------------------------------------------------------------------------------------------
# Weights, inputs, outputs
# ---------------------------------------------------------------------------------------------------------
def rerandomise(model, seed=5678):
    """The vtp-tiny rules, in named_parameters() order from one generator (checked bit-exact by --check-vtp-tiny)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    kept = []
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in ("trunk.mask_token", "logit_scale", "logit_bias"):
                kept.append(n)
                continue
            if n in ("token_embedding.weight", "trunk.cls_token"):
                v = torch.randn(p.shape, generator=g)
            elif n == "positional_embedding":
                v = torch.randn(p.shape, generator=g) * 0.5
            elif n.endswith("gamma"):
                v = torch.rand(p.shape, generator=g) + 0.5
            elif p.ndim >= 2:
                fan_in = p.shape[0] if n == "text_projection" else math.prod(p.shape[1:])
                v = torch.randn(p.shape, generator=g) / math.sqrt(fan_in)
            elif n.endswith("bias"):
                v = torch.randn(p.shape, generator=g) * 0.1
            elif n.endswith("weight"):
                v = 1 + torch.randn(p.shape, generator=g) * 0.2
            else:
                raise SystemExit(f"no re-randomisation rule for {n} {tuple(p.shape)}")
            p.copy_(v)
    return kept


def make_images(h, w):
    import torch
    img0 = torch.randn(3, h, w, generator=torch.Generator().manual_seed(42))
    y = (torch.arange(h, dtype=torch.float64) + 0.5) / h
    x = (torch.arange(w, dtype=torch.float64) + 0.5) / w
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    img1 = torch.stack([1.5 * torch.sin(2 * math.pi * (0.75 * (c + 1) * xx + 0.5 * yy) + c)
                        * torch.cos(math.pi * (yy - 0.3 * xx)) for c in range(3)])
    return torch.stack([img0, img1.float()]).contiguous()


def make_tokens(vocab, context):
    """3 rows: [sot=vocab-2, random ids in 1..vocab-3, eot=vocab-1, zeros]; 5, 2 and context-2 content ids
    (the third row fills the whole context, so 'last' pooling reaches its end token)."""
    import torch
    g = torch.Generator().manual_seed(7)
    rows = torch.zeros(3, context, dtype=torch.int64)
    for r, n in enumerate([5, 2, context - 2]):
        ids = torch.randint(1, vocab - 2, (n,), generator=g)
        rows[r, 0] = vocab - 2
        rows[r, 1:1 + n] = ids
        rows[r, 1 + n] = vocab - 1
    return rows


def outputs(model, images, tokens):
    import torch
    out = {}
    with torch.no_grad():
        lat = model.get_reconstruction_latents(images)
        out["latents"] = lat
        if model.pixel_decoder is not None:
            out["reconstruction"] = model.get_latents_decoded_images(lat)
        if model.config.train_clip:
            out["clip_image"] = model.get_clip_image_feature(images, normalize=True)
            out["clip_text"] = model.get_clip_text_feature(tokens, normalize=True)
            out["clip_logits"] = model.get_clip_logits(images, tokens)[0]
        last = model.get_last_layer_feature(images, use_bottleneck=False)
        out["cls_token"] = last["cls_token"]
        out["patch_tokens"] = last["patch_tokens"]
        inter = model.get_intermediate_layers_feature(images, n=2, return_class_token=True, norm=True)
        for i, (patch, cls) in enumerate(inter):
            out[f"intermediate_patch_{i}"] = patch
            out[f"intermediate_cls_{i}"] = cls
    return {k: v.detach().contiguous() for k, v in out.items()}


def rope_modules(model, cls):
    return [m for m in model.modules() if isinstance(m, cls)]


def with_rope(model, rope_cls, dtype, model_dtype=None):
    """An in-memory copy with the model in model_dtype (if given) and its RoPE modules computing in dtype,
    from the stored (bf16-valued) periods."""
    import torch
    m = copy.deepcopy(model)
    periods = {id(r): r.periods.detach().clone() for r in rope_modules(model, rope_cls)}
    originals = rope_modules(model, rope_cls)
    if model_dtype is not None:
        m = m.to(model_dtype)
    for orig, r in zip(originals, rope_modules(m, rope_cls)):
        r.dtype = dtype
        r.periods = periods[id(orig)].to(dtype)
    return m.eval()


def maxdiff(a, b):
    return max(((a[k].double() - b[k].double()).abs().max().item() for k in a), default=0.0)


def per_key(a, b):
    return {k: (a[k].double() - b[k].double()).abs().max().item() for k in a}


# ---------------------------------------------------------------------------------------------------------
# One variant
# ---------------------------------------------------------------------------------------------------------
def build(VTPConfig, VTPModel, fields):
    import torch
    torch.manual_seed(1234)
    model = VTPModel(VTPConfig(**fields))
    kept = rerandomise(model)
    return model.eval(), kept


def restore_text_mask(loaded, VTPConfig, VTPModel, config_dict):
    """transformers>=5 from_pretrained leaves the non-persistent text causal mask as torch.empty garbage; put
    back the one a fresh construction makes. Returns whether the loaded mask was already intact."""
    import torch
    if getattr(loaded, "attn_mask", None) is None:
        return None
    torch.manual_seed(0)
    fresh = VTPModel(VTPConfig(**config_dict))
    intact = torch.equal(loaded.attn_mask, fresh.attn_mask)
    loaded.attn_mask = fresh.attn_mask.clone()
    return intact


def make_variant(v, official, out_root):
    import torch
    from safetensors.torch import save_file, load_file
    VTPConfig, VTPModel, RopeCls = official
    fields = dict(BASE)
    fields.update(v["fields"])
    h, w = v["hw"]
    fields["image_size"] = h
    name = v["name"]
    folder = os.path.join(out_root, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)

    model, kept = build(VTPConfig, VTPModel, fields)
    images = make_images(h, w)
    tokens = make_tokens(fields["text_vocab_size"], fields["text_context_length"]) if model.config.train_clip else None

    expected = outputs(model, images, tokens)
    for k, t in expected.items():
        if not torch.isfinite(t).all():
            raise SystemExit(f"{name}: non-finite values in {k}")
    second = outputs(model, images, tokens)
    rope32 = outputs(with_rope(model, RopeCls, torch.float32), images, tokens)

    # float64 runs
    images64 = images.double()
    f64_bf16 = outputs(with_rope(model, RopeCls, torch.bfloat16, torch.float64), images64, tokens)
    f64_r32 = outputs(with_rope(model, RopeCls, torch.float32, torch.float64), images64, tokens)
    f64_r64 = outputs(with_rope(model, RopeCls, torch.float64, torch.float64), images64, tokens)

    # save with the official save_pretrained and verify the round trip
    model.save_pretrained(os.path.join(folder, "model"), safe_serialization=True)
    written = sorted(os.listdir(os.path.join(folder, "model")))
    if written != ["config.json", "model.safetensors"]:
        raise SystemExit(f"{name}: save_pretrained wrote {written}")
    loaded = VTPModel.from_pretrained(os.path.join(folder, "model")).eval()
    mask_intact = restore_text_mask(loaded, VTPConfig, VTPModel, fields)
    sd_a, sd_b = model.state_dict(), loaded.state_dict()
    sd_equal = set(sd_a) == set(sd_b) and all(torch.equal(sd_a[k], sd_b[k]) and sd_a[k].dtype == sd_b[k].dtype
                                              for k in sd_a)
    reload_out = outputs(loaded, images, tokens)
    reload_equal = all(torch.equal(expected[k], reload_out[k]) for k in expected)
    cfg_saved = json.load(open(os.path.join(folder, "model", "config.json")))
    cfg_kwargs = {k: val for k, val in cfg_saved.items()
                  if k not in ("architectures", "dtype", "model_type", "transformers_version")}
    torch.manual_seed(0)
    strict = VTPModel(VTPConfig(**cfg_kwargs))
    strict.load_state_dict(load_file(os.path.join(folder, "model", "model.safetensors")), strict=True)
    strict_equal = all(torch.equal(expected[k], outputs(strict.eval(), images, tokens)[k]) for k in expected)
    if not (sd_equal and reload_equal and strict_equal):
        raise SystemExit(f"{name}: round trip failed (state dict {sd_equal}, outputs {reload_equal}, strict {strict_equal})")

    inputs = {"images": images}
    if tokens is not None:
        inputs["tokens"] = tokens
    save_file(inputs, os.path.join(folder, "inputs.safetensors"), metadata={"format": "pt"})
    save_file(expected, os.path.join(folder, "expected.safetensors"), metadata={"format": "pt"})
    save_file(rope32, os.path.join(folder, "expected_rope_fp32.safetensors"), metadata={"format": "pt"})

    st = load_file(os.path.join(folder, "model", "model.safetensors"))
    non_f32 = sorted(f"{k} ({str(t.dtype).replace('torch.', '')})" for k, t in st.items() if t.dtype != torch.float32)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
    return dict(
        name=name, fields=v["fields"], hw=(h, w), exercises=v["exercises"], kept=kept,
        n_params=sum(p.numel() for p in model.parameters()),
        sha256=hashlib.sha256(open(os.path.join(folder, "model", "model.safetensors"), "rb").read()).hexdigest(),
        size=size, non_f32=non_f32,
        shapes={k: list(t.shape) for k, t in expected.items()},
        maxabs={k: t.abs().max().item() for k, t in expected.items()},
        second=per_key(expected, second),
        f64_bf16=per_key(expected, f64_bf16),
        bf16_vs_fp32=per_key(expected, rope32),
        fp32_vs_f64r32=per_key(rope32, f64_r32),
        fp32_vs_f64r64=per_key(rope32, f64_r64),
        mask_intact=mask_intact, sd_equal=sd_equal, reload_equal=reload_equal, strict_equal=strict_equal,
        tokens=tokens.tolist() if tokens is not None else None,
        logit_scale=model.logit_scale.detach().tolist() if model.config.train_clip else None,
        logit_bias=model.logit_bias.detach().tolist() if getattr(model, "logit_bias", None) is not None else None,
        periods={n: [float(x) for x in r.periods.float()] for n, r in model.named_modules() if isinstance(r, RopeCls)},
    )


# ---------------------------------------------------------------------------------------------------------
# vtp-tiny self-check
# ---------------------------------------------------------------------------------------------------------
def check_vtp_tiny(official, fixture):
    import torch
    from safetensors.torch import load_file
    VTPConfig, VTPModel, RopeCls = official
    cfg = json.load(open(os.path.join(fixture, "model", "config.json")))
    fields = {k: val for k, val in cfg.items() if k not in ("architectures", "dtype", "model_type", "transformers_version")}
    model, _ = build(VTPConfig, VTPModel, fields)
    ref = load_file(os.path.join(fixture, "model", "model.safetensors"))
    sd = model.state_dict()
    weights = set(ref) == set(sd) and all(torch.equal(ref[k], sd[k]) for k in ref)
    inp = load_file(os.path.join(fixture, "inputs.safetensors"))
    got = outputs(model, inp["images"], inp["tokens"])
    exp = load_file(os.path.join(fixture, "expected.safetensors"))
    got32 = outputs(with_rope(model, RopeCls, torch.float32), inp["images"], inp["tokens"])
    exp32 = load_file(os.path.join(fixture, "expected_rope_fp32.safetensors"))
    e1 = set(exp) == set(got) and all(torch.equal(exp[k], got[k]) for k in exp)
    e2 = set(exp32) == set(got32) and all(torch.equal(exp32[k], got32[k]) for k in exp32)
    return dict(weights=weights, expected=e1, expected_rope_fp32=e2,
                max_expected=maxdiff(exp, got), max_rope32=maxdiff(exp32, got32))


# ---------------------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------------------
def fmt(x):
    if x == 0:
        return "0"
    return f"{x:.3g}"


def jv(x):
    return json.dumps(x)


def readme(results, env, tiny, commit):
    L = []
    a = L.append
    a("# VTP configuration-variant fixtures")
    a("")
    a("Reference inputs/outputs of the **official** VTP PyTorch code (github.com/MiniMax-AI/VTP, commit "
      f"`{commit}`), unmodified, on CPU in float32, for configurations other than the released one. Each folder has "
      "the same layout and output keys as `../vtp-tiny` (read its README first: every rule there applies here "
      "unless said otherwise). Made by `scripts/make_variant_fixtures.py` (this file is written by it too).")
    a("")
    a("## Variants")
    a("")
    a("| folder | image H x W | fields different from the shared base | what it exercises | size |")
    a("|---|---|---|---|---|")
    for r in results:
        f = ", ".join(f"`{k}` {jv(val)}" for k, val in r["fields"].items())
        a(f"| `{r['name']}` | {r['hw'][0]} x {r['hw'][1]} | {f} | {r['exercises']} | {r['size'] / 1024:.0f} KiB |")
    a("")
    a("Shared base (given to `VTPConfig` for every variant unless the variant overrides it; everything else is the "
      "`VTPConfig` default, and `model/config.json` lists every field): "
      + ", ".join(f"`{k}` {jv(val)}" for k, val in BASE.items())
      + ". `image_size` is set to the image height; it only sizes PatchEmbed's unused `num_patches` and has no "
        "effect on the forward pass (any H, W divisible by the patch size work).")
    a("")
    a("## Files (per folder)")
    a("")
    a("| file | content |")
    a("|---|---|")
    a("| `model/config.json`, `model/model.safetensors` | `VTPModel.save_pretrained(dir, safe_serialization=True)` |")
    a("| `inputs.safetensors` | `images` F32 [2,3,H,W] (used as given, i.e. already normalised); `tokens` I64 [3,16] "
      "(only where the model has a text tower) |")
    a("| `expected.safetensors` | F32 outputs of the official code (bf16 RoPE, as shipped) |")
    a("| `expected_rope_fp32.safetensors` | **not official**: the same keys with the RoPE modules switched to float32 "
      "(stored bf16-valued periods) on an in-memory copy, exactly as vtp-tiny's file of that name |")
    a("")
    a("Output keys, calls and arguments are those of vtp-tiny: `latents` = `get_reconstruction_latents(images)`; "
      "`reconstruction` = `get_latents_decoded_images(latents)` (only with a decoder); `clip_image`, `clip_text`, "
      "`clip_logits` = `get_clip_image_feature(images, normalize=True)`, `get_clip_text_feature(tokens, "
      "normalize=True)`, `get_clip_logits(images, tokens)[0]` (only with a text tower; the logits include "
      "`logit_bias` where there is one); `cls_token`, `patch_tokens` = `get_last_layer_feature(images, "
      "use_bottleneck=False)`; `intermediate_patch_i`, `intermediate_cls_i` = "
      "`get_intermediate_layers_feature(images, n=2, return_class_token=True, norm=True)[i]` (i = 0: block 0, "
      "i = 1: the last block, equal to `patch_tokens` / `cls_token`).")
    a("")
    a("## How they were made")
    a("")
    a("* `torch.manual_seed(1234)`, `VTPModel(VTPConfig(**fields))`; then every parameter re-randomised from "
      "`torch.Generator().manual_seed(5678)` in `named_parameters()` order with the vtp-tiny rules (matrices and "
      "conv kernels N(0,1)/sqrt(fan_in), `text_projection` matrix by its first dim; `token_embedding.weight`, "
      "`trunk.cls_token` N(0,1); `positional_embedding` N(0,0.5^2); 1-D biases N(0,0.1^2); norm weights (also the "
      "q/k-norm weights) 1+N(0,0.2^2); LayerScale gammas U(0.5,1.5)). Kept: `trunk.mask_token` (zeros, unused), "
      "`logit_scale` and `logit_bias` (their config values). Buffers untouched; all parameters float32.")
    a(f"* Self-check: the same code rebuilt vtp-tiny from its config: weights bit-identical: {tiny['weights']}; "
      f"outputs vs its `expected.safetensors`: bit-identical {tiny['expected']}, max abs {fmt(tiny['max_expected'])}; "
      f"vs its `expected_rope_fp32.safetensors`: bit-identical {tiny['expected_rope_fp32']}, max abs "
      f"{fmt(tiny['max_rope32'])} (float32 evaluation-order noise of this CPU, which differs from the one that made "
      "vtp-tiny: `clip_text`, which has no RoPE, differs by about 1e-7 too)." if tiny
      else "* (vtp-tiny self-check not run.)")
    a("* Images: image 0 = `torch.randn(3,H,W, generator=torch.Generator().manual_seed(42))`; image 1 = for channel "
      "c, 1.5 sin(2 pi (0.75 (c+1) x + 0.5 y) + c) cos(pi (y - 0.3 x)) with x = (col+0.5)/W, y = (row+0.5)/H "
      "(float64, then float32).")
    V, C = BASE["text_vocab_size"], BASE["text_context_length"]
    a(f"* Tokens (the vocabulary is {V}, so not the CLIP tokenizer): `torch.Generator().manual_seed(7)`; rows "
      f"[sot = {V - 2}, ids, eot = {V - 1}, zeros...] with 5, 2 and {C - 2} ids from `torch.randint(1, {V - 2})` "
      f"(1..{V - 3}); the third row fills the whole {C}-token context. Argmax pooling therefore picks the end "
      f"token; 'last' picks position {C - 1} (padding 0 in rows 0 and 1, the end token in row 2); 'first' picks "
      "the start token. The rows (identical in every variant with a text tower):")
    a("")
    toks = next(r["tokens"] for r in results if r["tokens"] is not None)
    for row in toks:
        a(f"  * `{row}`")
    a("* `model.eval()`, `torch.no_grad()`, CPU, float32, `torch.set_num_threads(1)`, no autocast.")
    a("* Verification for every variant: reloaded with `VTPModel.from_pretrained(model/)` (state dict identical, "
      "dtypes too) and every key recomputed from the saved files bit-identical; `VTPModel(config)` + "
      "`load_state_dict(strict=True)` from the saved files bit-identical too. Where there is a causal text mask "
      "it was restored after `from_pretrained` (transformers >= 5 leaves it `torch.empty`: see vtp-tiny's caveat).")
    a("")
    a("| folder | parameters | sha256 of model.safetensors | not F32 in model.safetensors | RoPE periods | "
      "text mask intact after from_pretrained | logit_scale / logit_bias |")
    a("|---|---|---|---|---|---|---|")
    for r in results:
        per = "; ".join(f"{n.split('.')[0]}: {jv(p)}" for n, p in r["periods"].items())
        mask = "n/a (no mask)" if r["mask_intact"] is None else str(r["mask_intact"])
        ls = "n/a" if r["logit_scale"] is None else f"{jv(r['logit_scale'])} / {jv(r['logit_bias'])}"
        a(f"| `{r['name']}` | {r['n_params']:,} | `{r['sha256']}` | {', '.join(r['non_f32']) or 'none'} | {per} | "
          f"{mask} | {ls} |")
    a("")
    a("## Determinism and tolerances")
    a("")
    a("Max abs differences per key. Columns: max |value| in `expected`; a second identical run (determinism); "
      "the whole model in float64 with the bf16 RoPE recipe kept (periods back in bf16), against `expected`; "
      "`expected` against `expected_rope_fp32` (what ignoring the bf16 RoPE costs); `expected_rope_fp32` against "
      "float64 with the RoPE in float32 (q/k cast to float32 for the rotation, as vtp-tiny's README measures) and "
      "against float64 everywhere including the RoPE. \"float64\" means the model and images converted with "
      "`.to(torch.float64)` and run through the official code, whose RMSNorm (blocks, final norms and q/k norms) "
      "still normalises in float32 (`self._norm(x.float()).type_as(x)`), so those columns carry some float32 "
      "rounding: they are realistic gaps for a float32 implementation, not exact errors.")
    a("")
    worst = {"f64_bf16": 0.0, "bf16_vs_fp32": 0.0, "fp32_vs_f64r32": 0.0, "fp32_vs_f64r64": 0.0, "second": 0.0,
             "text": 0.0}
    for r in results:
        a(f"### `{r['name']}`")
        a("")
        a("| key | shape | max abs value | second run | float64, bf16 RoPE kept | bf16 vs fp32 RoPE | "
          "fp32 RoPE vs float64 (RoPE f32) | fp32 RoPE vs float64 (RoPE f64) |")
        a("|---|---|---|---|---|---|---|---|")
        for k in r["shapes"]:
            a(f"| `{k}` | {r['shapes'][k]} | {fmt(r['maxabs'][k])} | {fmt(r['second'][k])} | {fmt(r['f64_bf16'][k])} | "
              f"{fmt(r['bf16_vs_fp32'][k])} | {fmt(r['fp32_vs_f64r32'][k])} | {fmt(r['fp32_vs_f64r64'][k])} |")
            for col in ("f64_bf16", "bf16_vs_fp32", "fp32_vs_f64r32", "fp32_vs_f64r64", "second"):
                worst[col] = max(worst[col], r[col][k])
            if k == "clip_text":
                worst["text"] = max(worst["text"], r["f64_bf16"][k], r["fp32_vs_f64r64"][k])
        a("")
    a("Over all variants (max):")
    a("")
    a(f"* second run: {fmt(worst['second'])}.")
    a(f"* float64 with the bf16 RoPE kept vs `expected`: {fmt(worst['f64_bf16'])} (the realistic gap of a "
      "bf16-emulating implementation that accumulates in another order; q/k values near a bf16 rounding boundary "
      "flip by one bf16 ulp).")
    a(f"* `expected` vs `expected_rope_fp32`: {fmt(worst['bf16_vs_fp32'])} (a float32-RoPE implementation differs "
      "from `expected` by this much).")
    a(f"* `expected_rope_fp32` vs float64: {fmt(worst['fp32_vs_f64r32'])} (RoPE in f32), "
      f"{fmt(worst['fp32_vs_f64r64'])} (RoPE in f64).")
    a(f"* `clip_text` (no RoPE) vs float64: {fmt(worst['text'])}.")
    a("")
    a("Suggested tolerances (max abs), as for vtp-tiny: bf16-emulating implementation vs `expected.safetensors` "
      "5e-3 unless the table above shows a larger float64 gap for a variant; float32-RoPE implementation vs "
      "`expected_rope_fp32.safetensors` 1e-4.")
    a("")
    a(NOTES)
    a("")
    a("## Environment")
    a("")
    a(env)
    a("")
    a("Regenerating on another CPU or library version can change the float32 outputs by evaluation-order noise "
      "(amplified by the bf16 RoPE); the committed files are the reference.")
    return "\n".join(L) + "\n"


NOTES = """## Behaviour of the official code worth knowing (commit above)

Options that cannot be used through `VTPModel` (no fixture; a re-implementation should reject them):

* `text_embed_cls` true crashes in `get_clip_text_feature`: `TextTransformer` makes the positional embedding
  context+1 rows long (for the CLS slot), but `VTPModel` copies only some attributes of it (not `cls_emb`, not
  `_embeds`) and adds the whole positional embedding to the context-long token embedding: "The size of tensor a
  (16) must match the size of tensor b (17)".
* `text_pool_type` "none" makes `get_clip_text_feature` return [T, L, D] (normalised per token), and
  `get_clip_logits` then fails in `image_features @ text_features.T`.

How some fields are actually used:

* `vision_init_values` / `decoder_init_values` enable LayerScale by truthiness (`if init_values`), so 0.0 means
  *no* LayerScale; `text_ls_init_value` uses `is not None`, so 0.0 means a LayerScale with zero gammas.
* `init_logit_scale` is used as `config.init_logit_scale or ln(1/0.07)`, so 0.0 silently becomes ln(1/0.07)
  (the checkpoint holds the value anyway). `init_logit_bias` null means no `logit_bias` parameter at all.
* `text_proj_type`: only "none" removes the projection; any other string (e.g. "mlp") gives the same
  linear projection (`text_proj_bias` false: a bare [width, out] matrix used as x @ P; true: nn.Linear).
  `text_projection`'s output dim is always `text_embed_dim`.
* The pixel decoder always upsamples by 16 (`upscale_factor` is not taken from the config), so with
  `vision_patch_size` != 16 the reconstruction is not the input size (`patch8-ratios-noproj`: 32x24 in, 64x48
  out). `decoder_mlp_ratio` does not exist: the decoder FFN ratio is always 4.
* `vision_feature_bottleneck` null, or equal to `vision_embed_dim`, means no bottleneck layer at all (no
  `trunk.feature_bottleneck.weight` in the checkpoint); the latents then have `vision_embed_dim` channels.
* `vision_bottleneck_ae_only` false makes `get_clip_image_feature` use the bottlenecked features (visual_proj
  input = bottleneck dim); with no bottleneck it changes nothing.
* `text_no_causal_mask` true registers `attn_mask` as None: attention is fully bidirectional and the zero
  padding is attended too (there is never a padding mask); `text_pad_id` is only used with `text_embed_cls`.
* `text_output_tokens` has no effect on `VTPModel` (it never calls `TextTransformer.forward`).
* 'last' pooling takes position context-1 whatever token is there (usually padding id 0); 'first' takes
  position 0 (the start token), which under the causal mask sees only itself and is then identical for every
  caption: only useful with `text_no_causal_mask`.
* `text_mlp_ratio`, `vision_mlp_ratio`: hidden = int(width * ratio); SwiGLU variants then take
  d = int(hidden * 2 / 3) rounded up to a multiple of 8 ("swiglu"), 32, 64 or 128.
* Norms: "layernorm" = nn.LayerNorm eps 1e-6; "layernormbf16" = nn.LayerNorm eps 1e-5 (nothing is bf16);
  "rmsnorm" = x * rsqrt(mean(x^2) + 1e-5) * weight, no bias. q/k norm is always RMSNorm (eps 1e-5) over the
  head dim, applied per head before RoPE (CLS token included), whatever the block norm is.
* The text tower always uses `LayerNorm` with eps 1e-5 and exact-erf GELU unless `text_quick_gelu`.
* The vision and decoder FFN activation is always exact-erf GELU for "mlp" and SiLU for the SwiGLU variants."""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", default=os.environ.get("VTP_OFFICIAL", "/tmp/vtp_official"),
                    help="checkout of github.com/MiniMax-AI/VTP (default $VTP_OFFICIAL or /tmp/vtp_official)")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--only", nargs="*", help="variant names (default all; README then lists only these)")
    ap.add_argument("--check-vtp-tiny", action="store_true", help="only rebuild vtp-tiny and compare")
    ap.add_argument("--vtp-tiny", default=VTP_TINY)
    ap.add_argument("--commit", help="official commit to record (default: git rev-parse in the checkout)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(1)
    VTPConfig, VTPModel, RopeCls, stub, commit = import_official(args.official)
    commit = args.commit or commit or "unknown"
    official = (VTPConfig, VTPModel, RopeCls)

    tiny = check_vtp_tiny(official, args.vtp_tiny) if os.path.isdir(args.vtp_tiny) else None
    print("vtp-tiny self-check:", tiny)
    if args.check_vtp_tiny:
        return

    os.makedirs(args.out, exist_ok=True)
    chosen = [v for v in VARIANTS if not args.only or v["name"] in args.only]
    results = []
    for v in chosen:
        r = make_variant(v, official, args.out)
        print(f"{r['name']}: {r['size'] / 1024:.0f} KiB, f64(bf16 rope) {fmt(max(r['f64_bf16'].values()))}, "
              f"bf16 vs fp32 {fmt(max(r['bf16_vs_fp32'].values()))}, "
              f"fp32 vs f64 {fmt(max(r['fp32_vs_f64r32'].values()))}, mask intact {r['mask_intact']}")
        results.append(r)

    import numpy
    import omegaconf
    import safetensors
    import transformers
    env = (f"torch {torch.__version__}, transformers {transformers.__version__}, safetensors {safetensors.__version__}, "
           f"numpy {numpy.__version__}, omegaconf {omegaconf.__version__} (imported by the official package only), "
           f"Python {platform.python_version()}, {platform.system()} {platform.machine()}."
           + (" torchvision was not installed: a placeholder module satisfied the official package's unused "
              "`torchvision.ops.misc.FrozenBatchNorm2d` import (no effect on numerics)." if stub else ""))
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(readme(results, env, tiny, commit))


if __name__ == "__main__":
    main()
