/// An n-dimensional `Float` array: a shape and a dense, row-major, reference-counted buffer.
///
/// `Tensor` is a value type. Operations never write into an input's buffer; they return new tensors
/// (reshape shares the buffer, since the layout is unchanged). When autograd is recording and an input
/// requires a gradient, the result carries a `Node` that remembers how it was made.
public struct Tensor: @unchecked Sendable {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The buffer; `storage.count == count`.
    public let storage: TensorStorage
    /// The autograd record of the op that produced this tensor (`nil` for constants).
    public internal(set) var node: Node?

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Base address of the elements (row-major).
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// Whether gradients flow back through this tensor.
    public var requiresGrad: Bool { node != nil }

    /// Wraps an existing buffer with a shape (no copy).
    public init(shape: [Int], storage: TensorStorage, node: Node? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(Shape.count(shape) == storage.count,
                     "Tensor: shape \(shape) holds \(Shape.count(shape)) elements but the buffer has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// An uninitialised tensor (callers must write every element).
    public init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: Shape.count(shape)))
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        data.update(repeating: value, count: count)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor holding `values` (row-major) with the given shape.
    public init(_ values: [Float], shape: [Int]) {
        precondition(values.count == Shape.count(shape),
                     "Tensor: \(values.count) values do not fill shape \(shape) (\(Shape.count(shape)) elements)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A 0-dimensional tensor.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// The elements as an array (row-major).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements, not 1")
        return data[0]
    }

    /// Size of dimension `axis` (negative counts from the end).
    @inlinable public func dim(_ axis: Int) -> Int { shape[Shape.axis(axis, rank: rank)] }

    /// The same values, cut from the autograd graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A deep copy with its own buffer (no autograd record).
    public func copy() -> Tensor {
        let out = Tensor(uninitialized: shape)
        out.data.update(from: data, count: count)
        return out
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}

/// Shape arithmetic with clear messages on misuse.
public enum Shape {
    /// Product of the dimensions (1 for a scalar).
    @inlinable public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Resolves a possibly negative axis.
    @inlinable public static func axis(_ a: Int, rank: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < max(rank, 1), "axis \(a) is out of range for rank \(rank)")
        return r
    }

    /// Row-major strides.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// NumPy broadcasting of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) cannot be broadcast together")
            out[i] = da == 1 ? db : da
        }
        return out
    }
}
