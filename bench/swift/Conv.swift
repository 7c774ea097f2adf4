import VTPTensor

/// The training convolutions of the GAN stage, forward and backward, per layer (the PyTorch side is
/// `bench/pytorch/conv_bench.py`, same layers and timing):
/// - `disc`: the PatchGAN discriminator (`disc_channels` 64 on 28×28 images, a batch of 128 = real + decoded
///   images of a 64-image step); backward = data and weight gradients.
/// - `vgg`: LPIPS' VGG16 convolutions (3×3, padding 1, bias) at 256×256, a batch of 2; the network is frozen, so
///   backward = data gradients only (what the perceptual loss sends to the decoder). Each distinct shape once, with
///   `count` = how often VGG16 has it.
/// Backward times the convolution's backward alone: `y.backward(seed: g)` over a recorded forward y, as the PyTorch
/// side's `y.backward(g, retain_graph=True)`.
func benchConv() {
    let peak = Peaks.measure().f32
    typealias Layer = (net: String, name: String, inC: Int, outC: Int, size: Int, kernel: Int, stride: Int, count: Int)
    let disc: [Layer] = [("disc", "conv0", 3, 64, 28, 4, 2, 1), ("disc", "conv1", 64, 128, 14, 4, 2, 1),
                         ("disc", "conv2", 128, 256, 7, 4, 1, 1), ("disc", "conv3", 256, 1, 6, 4, 1, 1)]
    let vgg: [Layer] = [("vgg", "conv1_1", 3, 64, 256, 3, 1, 1), ("vgg", "conv1_2", 64, 64, 256, 3, 1, 1),
                        ("vgg", "conv2_1", 64, 128, 128, 3, 1, 1), ("vgg", "conv2_2", 128, 128, 128, 3, 1, 1),
                        ("vgg", "conv3_1", 128, 256, 64, 3, 1, 1), ("vgg", "conv3_2", 256, 256, 64, 3, 1, 2),
                        ("vgg", "conv4_1", 256, 512, 32, 3, 1, 1), ("vgg", "conv4_2", 512, 512, 32, 3, 1, 2),
                        ("vgg", "conv5_1", 512, 512, 16, 3, 1, 3)]
    for l in disc + vgg {
        let batch = l.net == "disc" ? 128 : 2, frozen = l.net == "vgg"
        var rng = RNG(seed: 1)
        let x = Tensor.randomNormal([batch, l.inC, l.size, l.size], rng: &rng).requiringGrad()
        var w = Tensor.randomNormal([l.outC, l.inC, l.kernel, l.kernel], std: 0.05, rng: &rng)
        var b = Tensor.zeros([l.outC])
        if !frozen { (w, b) = (w.requiringGrad(), b.requiringGrad()) }
        let out = (l.size + 2 - l.kernel) / l.stride + 1
        let macs = Double(batch * out * out * l.outC * l.inC * l.kernel * l.kernel)
        let fwd = median(timeSteps(steps: args.steps, warmup: args.warmup) { _ = withNoGrad { x.conv2d(w, b, stride: l.stride, padding: 1) } })
        let y = x.conv2d(w, b, stride: l.stride, padding: 1)
        let g = Tensor.randomNormal(y.shape, rng: &rng)
        let bwd = median(timeSteps(steps: args.steps, warmup: args.warmup) { _ = y.backward(seed: g) })
        let bwdFlops = (frozen ? 2 : 4) * macs
        emit(["framework": "swiftvtp", "bench": "conv", "net": l.net, "layer": l.name, "count": l.count, "batch": batch,
              "in": [l.inC, l.size, l.size], "out": [l.outC, out, out], "fwd_s": fwd, "bwd_s": bwd,
              "fwd_fraction_of_peak": 2 * macs / fwd / 1e9 / peak, "bwd_fraction_of_peak": bwdFlops / bwd / 1e9 / peak])
    }
}
