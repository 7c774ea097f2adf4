/// Shape and indexing operations: reshape, permute, concat, slice, gather and scatter-add.
extension Tensor {
    /// The same elements with another shape (no copy). One dimension may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let rest = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(rest > 0 && count % rest == 0, "reshape: cannot infer -1 in \(newShape) for \(count) elements")
            s[i] = count / rest
        }
        precondition(Shape.count(s) == count, "reshape: shape \(shape) (\(count) elements) cannot become \(newShape)")
        var out = Tensor(shape: s, storage: storage)
        out.node = nil
        Tensor.record(&out, [self], .reshape(shape))
        return out
    }

    /// Reorders the axes: result axis i is input axis `order[i]` (materialised).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank), "permute: \(order) is not a permutation of \(rank) axes")
        if order == Array(0..<rank) { return self }
        var out = PermuteKernel.permute(self, order)
        Tensor.record(&out, [self], .permute(order))
        return out
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(Shape.axis(a, rank: rank), Shape.axis(b, rank: rank))
        return permuted(order)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concat: no tensors")
        let r = parts[0].rank
        let a = Shape.axis(axis, rank: r)
        for p in parts {
            precondition(p.rank == r && p.shape.enumerated().allSatisfy { $0.offset == a || $0.element == parts[0].shape[$0.offset] },
                         "concat: shapes \(parts.map(\.shape)) differ outside axis \(a)")
        }
        var shape = parts[0].shape
        shape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        var out = Tensor(uninitialized: shape)
        let outer = Shape.count(Array(shape[..<a])), inner = Shape.count(Array(shape[(a + 1)...]))
        var offset = 0
        let rowOut = shape[a] * inner
        for p in parts {
            let rowIn = p.shape[a] * inner
            let (s, d, off) = (p.data, out.data, offset)
            Parallel.forEach(outer, grain: Swift.max(1, 16384 / Swift.max(rowIn, 1))) { o in
                (d + o * rowOut + off).update(from: s + o * rowIn, count: rowIn)
            }
            offset += rowIn
        }
        record(&out, parts, .concat(axis: a, sizes: parts.map { $0.shape[a] }))
        return out
    }

    /// Elements `start..<start+length` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = Shape.axis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a], "slice: \(range) out of bounds for axis \(a) of size \(shape[a])")
        var oshape = shape; oshape[a] = range.count
        var out = Tensor(uninitialized: oshape)
        let outer = Shape.count(Array(shape[..<a])), inner = Shape.count(Array(shape[(a + 1)...]))
        let rowIn = shape[a] * inner, rowOut = range.count * inner, off = range.lowerBound * inner
        let (s, d) = (data, out.data)
        Parallel.forEach(outer, grain: Swift.max(1, 16384 / Swift.max(rowOut, 1))) { o in
            (d + o * rowOut).update(from: s + o * rowIn + off, count: rowOut)
        }
        Tensor.record(&out, [self], .slice(axis: a, start: range.lowerBound, inputShape: shape))
        return out
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        let a = Shape.axis(axis, rank: rank)
        precondition(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to \(shape[a])")
        var start = 0
        return sizes.map { n in defer { start += n }; return slice(axis: a, start..<(start + n)) }
    }

    /// Rows of a table: `self` is [V, D...]; result is `indexShape + [D...]`.
    /// Indices must lie in 0..<V (checked).
    public func gatherRows(_ indices: [Int], indexShape: [Int]? = nil) -> Tensor {
        let v = shape[0], rowLen = count / Swift.max(v, 1)
        for i in indices { precondition(i >= 0 && i < v, "gatherRows: index \(i) out of range 0..<\(v)") }
        var out = Tensor(uninitialized: (indexShape ?? [indices.count]) + Array(shape.dropFirst()))
        precondition(out.count == indices.count * rowLen, "gatherRows: index shape does not match \(indices.count) indices")
        let (s, d) = (data, out.data)
        indices.withUnsafeBufferPointer { idx in
            Parallel.forEach(idx.count, grain: Swift.max(1, 16384 / Swift.max(rowLen, 1))) { j in
                (d + j * rowLen).update(from: s + idx[j] * rowLen, count: rowLen)
            }
        }
        Tensor.record(&out, [self], .gatherRows(indices, tableShape: shape))
        return out
    }

    /// `self` with rows of `source` added at `indices` (rows of [V, D...]; repeated indices accumulate).
    public func scatterAddRows(_ indices: [Int], _ source: Tensor) -> Tensor {
        let v = shape[0], rowLen = count / Swift.max(v, 1)
        precondition(source.count == indices.count * rowLen, "scatterAddRows: source \(source.shape) does not hold \(indices.count) rows of \(rowLen)")
        for i in indices { precondition(i >= 0 && i < v, "scatterAddRows: index \(i) out of range 0..<\(v)") }
        var out = copy()
        let (s, d) = (source.data, out.data)
        for (j, i) in indices.enumerated() {
            let dst = d + i * rowLen, src = s + j * rowLen
            for k in 0..<rowLen { dst[k] += src[k] }
        }
        Tensor.record(&out, [self, source], .scatterAddRows(indices, sourceShape: source.shape))
        return out
    }

    /// Broadcasts to `shape` (materialised).
    public func expanded(to newShape: [Int]) -> Tensor {
        precondition(Shape.broadcast(shape, newShape) == newShape, "expand: \(shape) cannot broadcast to \(newShape)")
        var out = BroadcastKernels.expand(self, to: newShape)
        Tensor.record(&out, [self], .expand(shape))
        return out
    }
}

/// Dense N-d permutation.
enum PermuteKernel {
    static func permute(_ x: Tensor, _ order: [Int]) -> Tensor {
        let r = x.rank
        let oshape = order.map { x.shape[$0] }
        let out = Tensor(uninitialized: oshape)
        let inStrides = Shape.strides(x.shape)
        let perStride = order.map { inStrides[$0] }  // input stride of each output axis
        let last = oshape.last ?? 1, lastStride = perStride.last ?? 1
        let rows = out.count / max(last, 1)
        let outerShape = Array(oshape.dropLast()), outerStrides = Shape.strides(outerShape)
        let (s, d) = (x.data, out.data)
        Parallel.forEach(rows, grain: max(1, 8192 / max(last, 1))) { row in
            var rem = row, off = 0
            for a in 0..<(r - 1) {
                let i = rem / outerStrides[a]
                rem -= i * outerStrides[a]
                off += i * perStride[a]
            }
            let dst = d + row * last
            if lastStride == 1 { dst.update(from: s + off, count: last) } else {
                var p = s + off
                for j in 0..<last { dst[j] = p.pointee; p += lastStride }
            }
        }
        return out
    }
}
