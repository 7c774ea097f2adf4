import VTPModels
import VTPNN
import VTPTensor

/// pytorch-fid's InceptionV3 feature extraction (images/s, random weights, 299×299 inputs), and a few of its
/// convolutions as inference primitives (`conv2dInference`: ReLU fused) against the training-forward `conv2d`
/// followed by a separate ReLU.
func benchInception() {
    var rng = RNG(seed: 1)
    let model = InceptionV3()
    for (name, p) in model.namedParameters() {
        let fanIn = p.value.count / Swift.max(p.shape[0], 1)
        p.value = name.hasSuffix("conv.weight") ? Tensor.randomUniform(p.shape, -1 / Float(fanIn).squareRoot(), 1 / Float(fanIn).squareRoot(), rng: &rng)
            : Tensor.randomUniform(p.shape, 0.5, 1.5, rng: &rng)
    }
    let batch = args.batch
    let images = Tensor.randomUniform([batch, 3, 299, 299], 0, 1, rng: &rng)
    let times = timeSteps(steps: args.steps, warmup: args.warmup) { _ = model.features(images) }
    emit(["framework": "swiftvtp", "bench": "fid_inception", "batch": batch, "median_s": median(times),
          "images_per_s": Double(batch) / median(times), "threads": Parallel.threadCount, "peak_rss_mb": peakRSSMB()])
    let layers: [(name: String, input: [Int], kernel: [Int], stride: Int, pad: (Int, Int, Int, Int))] = [
        ("Conv2d_2b_3x3", [batch, 32, 147, 147], [64, 32, 3, 3], 1, (1, 1, 1, 1)),
        ("Mixed_5b.branch5x5_2", [batch, 48, 35, 35], [64, 48, 5, 5], 1, (2, 2, 2, 2)),
        ("Mixed_6b.branch7x7_2", [batch, 128, 17, 17], [128, 128, 1, 7], 1, (0, 3, 0, 3)),
        ("Mixed_7c.branch3x3dbl_2", [batch, 448, 8, 8], [384, 448, 3, 3], 1, (1, 1, 1, 1)),
    ]
    for l in layers {
        let x = Tensor.randomUniform(l.input, 0, 1, rng: &rng), w = Tensor.randomUniform(l.kernel, -0.1, 0.1, rng: &rng)
        let b = Tensor.randomUniform([l.kernel[0]], -0.1, 0.1, rng: &rng)
        let onednn = median(timeSteps(steps: 5, warmup: 2) { _ = x.conv2dInference(w, b, stride: l.stride, padding: l.pad, relu: true) })
        let training = median(timeSteps(steps: 5, warmup: 2) {
            _ = withNoGrad { x.zeroPadded(top: l.pad.0, bottom: l.pad.2, left: l.pad.1, right: l.pad.3).conv2d(w, b, stride: l.stride).relu() }
        })
        emit(["framework": "swiftvtp", "bench": "inception_conv", "layer": l.name, "inference_s": onednn, "training_forward_relu_s": training,
              "speedup": training / onednn])
    }
}
