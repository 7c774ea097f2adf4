#!/usr/bin/env python3
"""pytorch-fid's InceptionV3 (pool3 features) images/s on random weights, 299x299 inputs, no grad; the reference for
`vtp-bench inception`. Needs torch, torchvision (model definitions), pytorch-fid.
    python bench/pytorch/fid_inception.py --threads 2 --batch 8 --steps 5 --warmup 2
"""
import os
import sys

import torch

from benchutil import emit_throughput, parse_args, timed

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import torchvision_models_only  # noqa: F401,E402
import pytorch_fid.inception as fid  # noqa: E402


def main():
    a = parse_args(__doc__)
    skeleton = fid._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    for name, block in [("Mixed_5b", fid.FIDInceptionA(192, pool_features=32)), ("Mixed_5c", fid.FIDInceptionA(256, pool_features=64)),
                        ("Mixed_5d", fid.FIDInceptionA(288, pool_features=64)), ("Mixed_6b", fid.FIDInceptionC(768, channels_7x7=128)),
                        ("Mixed_6c", fid.FIDInceptionC(768, channels_7x7=160)), ("Mixed_6d", fid.FIDInceptionC(768, channels_7x7=160)),
                        ("Mixed_6e", fid.FIDInceptionC(768, channels_7x7=192)), ("Mixed_7b", fid.FIDInceptionE_1(1280)),
                        ("Mixed_7c", fid.FIDInceptionE_2(2048))]:
        setattr(skeleton, name, block)
    state = skeleton.state_dict()
    fid.load_state_dict_from_url = lambda *args, **kwargs: state
    model = fid.InceptionV3([3]).eval()
    x = torch.rand(a.batch, 3, 299, 299)
    with torch.no_grad():
        emit_throughput("fid_inception", a.batch, timed(lambda: model(x), a.steps, a.warmup))


if __name__ == "__main__":
    main()
