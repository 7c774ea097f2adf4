/// Matrix products (oneDNN): matmul, linear, conv2d (oneDNN convolution primitives) and pixel shuffle.
extension Tensor {
    /// `op(self) @ op(b)` over the last two axes.
    ///
    /// `self` is [..., M, K] ([..., K, M] with `transposeA`), `b` is [..., K, N] ([..., N, K] with
    /// `transposeB`) with the same leading axes, or 2-D (shared by every batch item).
    public func matmul(_ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(rank >= 2 && b.rank >= 2, "matmul: needs rank ≥ 2, got \(shape) and \(b.shape)")
        if b.rank == 2 && rank > 2 && !transposeA {
            // Fold the batch into the rows: one large GEMM.
            let k = shape[rank - 1]
            let flat = reshaped([-1, k]).matmul(b, transposeB: transposeB)
            return flat.reshaped(Array(shape.dropLast()) + [flat.shape[1]])
        }
        let m = transposeA ? shape[rank - 1] : shape[rank - 2]
        let k = transposeA ? shape[rank - 2] : shape[rank - 1]
        let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        precondition(k == kb, "matmul: inner dimensions differ: \(shape)\(transposeA ? "ᵀ" : "") @ \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batchA = Array(shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        precondition(batchB.isEmpty || batchA == batchB, "matmul: batch axes differ: \(shape) @ \(b.shape)")
        let batch = Shape.count(batchA)
        var out = Tensor(uninitialized: batchA + [m, n])
        GEMM.gemm(batch: batch, m: m, n: n, k: k, a: data, transA: transposeA, aOwner: storage, b: b.data, transB: transposeB,
                  sb: batchB.isEmpty ? 0 : nil, bOwner: b.storage, c: out.data)
        Tensor.record(&out, [self, b], .matmul(detached(), b.detached(), transposeA: transposeA, transposeB: transposeB))
        return out
    }

    /// `self @ weightᵀ + bias` on the last axis: `self` [..., in], `weight` [out, in] (PyTorch layout), `bias` [out].
    public func linear(_ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) does not match weight \(weight.shape) ([out, in])")
        if let bias { precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) ≠ [\(weight.shape[0])]") }
        let k = weight.shape[1], n = weight.shape[0], m = count / Swift.max(k, 1)
        var out = Tensor(uninitialized: Array(shape.dropLast()) + [n])
        GEMM.gemm(m: m, n: n, k: k, a: data, aOwner: storage, b: weight.data, transB: true, bOwner: weight.storage,
                  c: out.data, bias: bias?.data)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        Tensor.record(&out, inputs, .linear(detached(), weight.detached(), hasBias: bias != nil))
        return out
    }

    /// 2-D convolution (cross-correlation, as PyTorch): `self` [B, C, H, W], `weight` [O, C, kH, kW], `bias` [O].
    /// Output [B, O, (H + 2p − kH)/s + 1, (W + 2p − kW)/s + 1].
    public func conv2d(_ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
                     "conv2d: input \(shape) and weight \(weight.shape) ([O, C, kH, kW]) do not match")
        let g = ConvGeometry(input: shape, kernel: weight.shape, stride: stride, padding: padding)
        precondition(g.outH > 0 && g.outW > 0, "conv2d: kernel \(weight.shape) larger than padded input \(shape)")
        var out = ConvKernels.forward(self, weight, bias, g)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        Tensor.record(&out, inputs, .conv2d(input: detached(), weight: weight.detached(), geometry: g, hasBias: bias != nil))
        return out
    }

    /// [B, C·r², H, W] → [B, C, H·r, W·r] with out[b, c, y·r+i, x·r+j] = in[b, c·r² + i·r + j, y, x].
    public func pixelShuffle(_ r: Int) -> Tensor {
        precondition(rank == 4 && shape[1] % (r * r) == 0, "pixelShuffle: \(shape) channels not divisible by \(r * r)")
        let (b, c, h, w) = (shape[0], shape[1] / (r * r), shape[2], shape[3])
        return reshaped([b, c, r, r, h, w]).permuted([0, 1, 4, 2, 5, 3]).reshaped([b, c, h * r, w * r])
    }

    /// The inverse of `pixelShuffle`: [B, C, H·r, W·r] → [B, C·r², H, W].
    public func pixelUnshuffle(_ r: Int) -> Tensor {
        precondition(rank == 4 && shape[2] % r == 0 && shape[3] % r == 0, "pixelUnshuffle: \(shape) not divisible by \(r)")
        let (b, c, h, w) = (shape[0], shape[1], shape[2] / r, shape[3] / r)
        return reshaped([b, c, h, r, w, r]).permuted([0, 1, 3, 5, 2, 4]).reshaped([b, c * r * r, h, w])
    }
}

/// Sizes of one convolution.
public struct ConvGeometry: Sendable, Equatable {
    public let batch, inC, inH, inW, outC, kH, kW, stride, padding, outH, outW: Int
    /// Elements of one receptive field: C·kH·kW.
    public var patch: Int { inC * kH * kW }

    init(input: [Int], kernel: [Int], stride: Int, padding: Int) {
        (batch, inC, inH, inW) = (input[0], input[1], input[2], input[3])
        (outC, kH, kW) = (kernel[0], kernel[2], kernel[3])
        self.stride = stride
        self.padding = padding
        outH = (inH + 2 * padding - kH) / stride + 1
        outW = (inW + 2 * padding - kW) / stride + 1
    }
}

/// `conv2d` on oneDNN's convolution primitives (training forward, backward-data, backward-weights).
enum ConvKernels {
    static func key(_ pass: OneDNNConvolution.Pass, _ g: ConvGeometry, bias: Bool) -> OneDNNConvolution.Key {
        OneDNNConvolution.Key(pass: pass, n: g.batch, c: g.inC, h: g.inH, w: g.inW, o: g.outC, kh: g.kH, kw: g.kW, stride: g.stride,
                              top: g.padding, left: g.padding, bottom: g.padding, right: g.padding, bias: bias, relu: false)
    }

    /// y [B, O, oH, oW] = conv(x, w) + b.
    static func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: ConvGeometry) -> Tensor {
        let out = Tensor(uninitialized: [g.batch, g.outC, g.outH, g.outW])
        if out.count == 0 { return out }
        if g.patch == 0 {  // no input channels: the bias alone
            for i in 0..<out.count { out.data[i] = b?.data[(i / (g.outH * g.outW)) % g.outC] ?? 0 }
            return out
        }
        var buffers: [OneDNNConvolution.Arg: UnsafeRawPointer] = [.src: UnsafeRawPointer(x.data), .weights: UnsafeRawPointer(w.data),
                                                                  .dst: UnsafeRawPointer(out.data)]
        if let b { buffers[.bias] = UnsafeRawPointer(b.data) }
        OneDNNConvolution.shared.run(key(.training, g, bias: b != nil), buffers)
        return out
    }

    /// dx [B, C, H, W] of dy [B, O, oH, oW].
    static func backwardData(_ dy: Tensor, weight w: Tensor, _ g: ConvGeometry) -> Tensor {
        let dx = Tensor(uninitialized: [g.batch, g.inC, g.inH, g.inW])
        if dx.count == 0 { return dx }
        if g.outC == 0 || dy.count == 0 { return Tensor.zeros(dx.shape) }
        OneDNNConvolution.shared.run(key(.backwardData, g, bias: false),
                                     [.diffDst: UnsafeRawPointer(dy.data), .weights: UnsafeRawPointer(w.data), .diffSrc: UnsafeRawPointer(dx.data)])
        return dx
    }

    /// dw [O, C, kH, kW] and, with `bias`, db [O] of dy [B, O, oH, oW] and the input x.
    static func backwardWeights(_ x: Tensor, _ dy: Tensor, _ g: ConvGeometry, bias: Bool) -> (Tensor, Tensor?) {
        let dw = Tensor(uninitialized: [g.outC, g.inC, g.kH, g.kW]), db = bias ? Tensor(uninitialized: [g.outC]) : nil
        if dw.count == 0 || dy.count == 0 || x.count == 0 {
            return (Tensor.zeros(dw.shape), bias ? dy.sum(axes: [0, 2, 3]) : nil)
        }
        var buffers: [OneDNNConvolution.Arg: UnsafeRawPointer] = [.src: UnsafeRawPointer(x.data), .diffDst: UnsafeRawPointer(dy.data),
                                                                  .diffWeights: UnsafeRawPointer(dw.data)]
        if let db { buffers[.diffBias] = UnsafeRawPointer(db.data) }
        OneDNNConvolution.shared.run(key(.backwardWeights, g, bias: bias), buffers)
        return (dw, db)
    }
}
