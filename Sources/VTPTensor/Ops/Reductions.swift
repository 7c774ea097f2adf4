/// Sums, means and arg-max over axes.
extension Tensor {
    /// Sum over `axes` (all axes when empty). `keepDims` keeps reduced axes with size 1.
    public func sum(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = axes.isEmpty ? Array(0..<rank) : axes.map { Shape.axis($0, rank: rank) }
        var out = self.detached()
        for a in Set(ax).sorted() where shape[a] != 1 { out = ReduceKernels.sum(out, axis: a) }
        if out.storage === storage { out = copy() }  // nothing reduced: still return a fresh tensor
        let kept = shape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let final = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        var result = Tensor(shape: final, storage: out.storage)
        Tensor.record(&result, [self], .sum(inputShape: shape, keptShape: kept))
        return result
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all axes when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = axes.isEmpty ? Array(0..<rank) : axes.map { Shape.axis($0, rank: rank) }
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Index of the largest element along the last axis, per row (first maximum wins; not differentiable).
    public func argmaxLastAxis() -> [Int] {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        return (0..<rows).map { r in
            var best = 0
            let p = data + r * n
            for j in 1..<Swift.max(n, 1) where p[j] > p[best] { best = j }
            return best
        }
    }
}
