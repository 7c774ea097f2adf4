/// Matrix products (oneDNN): matmul, linear, conv2d (im2col + GEMM) and pixel shuffle.
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
        let cols = ConvKernels.im2col(self, g)                     // [B*oH*oW, C*kH*kW]
        let w2 = weight.reshaped([g.outC, g.patch]).detached()
        let rows = Tensor(uninitialized: [g.batch * g.outH * g.outW, g.outC])
        GEMM.gemm(m: rows.shape[0], n: g.outC, k: g.patch, a: cols.data, aOwner: cols.storage, b: w2.data, transB: true,
                  bOwner: w2.storage, c: rows.data, bias: bias?.data)
        var out = PermuteKernel.permute(rows.reshaped([g.batch, g.outH * g.outW, g.outC]), [0, 2, 1])
            .reshaped([g.batch, g.outC, g.outH, g.outW])
        out.node = nil
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        Tensor.record(&out, inputs, .conv2d(cols: cols, weight: weight.detached(), geometry: g, hasBias: bias != nil))
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

/// im2col / col2im for `conv2d`.
enum ConvKernels {
    /// cols[(b, oy, ox), (c, ky, kx)] = x[b, c, oy·s − p + ky, ox·s − p + kx] (0 outside).
    static func im2col(_ x: Tensor, _ g: ConvGeometry) -> Tensor {
        let cols = Tensor(uninitialized: [g.batch * g.outH * g.outW, g.patch])
        let (src, dst) = (x.data, cols.data)
        let (inC, inH, inW, kH, kW, outH, outW) = (g.inC, g.inH, g.inW, g.kH, g.kW, g.outH, g.outW)
        let (stride, padding, patch) = (g.stride, g.padding, g.patch)
        Parallel.forEach(g.batch * outH, grain: 1) { row in
            let b = row / outH, oy = row % outH
            for ox in 0..<outW {
                var d = dst + ((b * outH + oy) * outW + ox) * patch
                let ix0 = ox * stride - padding
                let inside = ix0 >= 0 && ix0 + kW <= inW
                for c in 0..<inC {
                    let plane = src + (b * inC + c) * inH * inW
                    for ky in 0..<kH {
                        let iy = oy * stride - padding + ky
                        // Element loops: the kernel rows are short (4–16 values), where a copy call costs more.
                        if iy < 0 || iy >= inH {
                            for kx in 0..<kW { d[kx] = 0 }
                        } else if inside {
                            let s = plane + iy * inW + ix0
                            for kx in 0..<kW { d[kx] = s[kx] }
                        } else {
                            for kx in 0..<kW {
                                let ix = ix0 + kx
                                d[kx] = ix < 0 || ix >= inW ? 0 : plane[iy * inW + ix]
                            }
                        }
                        d += kW
                    }
                }
            }
        }
        return cols
    }

    /// The adjoint of `im2col`: sums column entries back into an image [B, C, H, W].
    static func col2im(_ cols: Tensor, _ g: ConvGeometry) -> Tensor {
        let x = Tensor.zeros([g.batch, g.inC, g.inH, g.inW])
        let (src, dst) = (cols.data, x.data)
        Parallel.forEach(g.batch * g.inC, grain: 1) { bc in
            let b = bc / g.inC, c = bc % g.inC
            let plane = dst + bc * g.inH * g.inW
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    let s = src + ((b * g.outH + oy) * g.outW + ox) * g.patch + c * g.kH * g.kW
                    for ky in 0..<g.kH {
                        let iy = oy * g.stride - g.padding + ky
                        if iy < 0 || iy >= g.inH { continue }
                        for kx in 0..<g.kW {
                            let ix = ox * g.stride - g.padding + kx
                            if ix >= 0 && ix < g.inW { plane[iy * g.inW + ix] += s[ky * g.kW + kx] }
                        }
                    }
                }
            }
        }
        return x
    }
}
