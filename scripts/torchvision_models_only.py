"""Importing this module before torchvision lets torchvision's pure-Python model definitions (VGG16, Inception v3,
used by lpips and pytorch-fid) import when its compiled ops cannot load: the torchvision wheel on PyPI is built
for CUDA and does not load against the CPU torch wheel, and its import then fails registering fake kernels for
those ops (`operator torchvision::nms does not exist`). The reference scripts use no torchvision op (nms, roi_align,
…), so skipping that registration changes no number they produce.
"""
import sys
import types

try:
    import torchvision  # noqa: F401  (works when torchvision matches torch)
except RuntimeError:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision  # noqa: F401
