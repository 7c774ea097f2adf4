import VTPTensor

/// The convolutions of the PatchGAN discriminator (stage-2 training): forward and backward GFLOP/s per layer.
/// Layers of `disc_channels` 64 on 28×28 images, a batch of 128 (real + decoded images of a 64-image step).
func benchConv() {
    let peak = Peaks.measure().f32
    let layers: [(name: String, inC: Int, outC: Int, size: Int, stride: Int)] = [
        ("conv0", 3, 64, 28, 2), ("conv1", 64, 128, 14, 2), ("conv2", 128, 256, 7, 1), ("conv3", 256, 1, 6, 1),
    ]
    let batch = args.batch == 8 ? 128 : args.batch
    for l in layers {
        var rng = RNG(seed: 1)
        let x = Tensor.randomNormal([batch, l.inC, l.size, l.size], rng: &rng).requiringGrad()
        let w = Tensor.randomNormal([l.outC, l.inC, 4, 4], rng: &rng).requiringGrad()
        let out = (l.size + 2 - 4) / l.stride + 1
        let macs = Double(batch * out * out * l.outC * l.inC * 16)
        let fwd = median(timeSteps(steps: 10, warmup: 2) { _ = withNoGrad { x.conv2d(w, stride: l.stride, padding: 1) } })
        let y = x.conv2d(w, stride: l.stride, padding: 1)
        let g = Tensor.randomNormal(y.shape, rng: &rng)
        let bwd = median(timeSteps(steps: 10, warmup: 2) { _ = (y * g).sum().backward() })
        emit(["framework": "swiftvtp", "bench": "conv", "layer": l.name, "batch": batch, "in": [l.inC, l.size, l.size],
              "out": [l.outC, out, out], "fwd_s": fwd, "bwd_s": bwd,
              "fwd_fraction_of_peak": 2 * macs / fwd / 1e9 / peak, "bwd_fraction_of_peak": 4 * macs / bwd / 1e9 / peak])
    }
}
