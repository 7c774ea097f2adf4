import Foundation

/// A size-bucketed caching allocator for 64-byte-aligned `Float` buffers.
///
/// Training allocates the same activation sizes every step; returning buffers to per-size free lists instead
/// of the system allocator avoids page faults and `mmap` churn. Sizes are rounded up to a size class
/// (multiples of 16 floats below 64 Ki floats, then steps of 1/8 of the next power of two), so a freed buffer
/// serves any later request of the same class. The cache holds at most `cacheLimitBytes`; beyond that freed
/// buffers go back to the system.
public final class TensorAllocator: @unchecked Sendable {
    public static let shared = TensorAllocator()

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private let lock = NSLock()
    private var cachedBytes = 0
    /// Bytes currently handed out to live tensors.
    public private(set) var liveBytes = 0
    /// The largest `liveBytes` seen since the last `resetPeak()`.
    public private(set) var peakLiveBytes = 0
    /// Upper bound on bytes kept in the free lists.
    public var cacheLimitBytes = 8 << 30

    /// The size class (in floats) that a request of `count` floats is served from.
    static func sizeClass(_ count: Int) -> Int {
        if count <= 16 { return 16 }
        if count <= 65536 { return (count + 15) & ~15 }
        var p = 65536
        while p < count { p <<= 1 }
        let step = p >> 3
        let half = p >> 1
        return half + ((count - half + step - 1) / step) * step
    }

    /// Returns an uninitialised buffer of at least `count` floats and the capacity actually reserved.
    public func allocate(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let cls = TensorAllocator.sizeClass(max(count, 1))
        lock.lock()
        liveBytes += cls * 4
        if liveBytes > peakLiveBytes { peakLiveBytes = liveBytes }
        if var list = free[cls], let p = list.popLast() {
            free[cls] = list
            cachedBytes -= cls * 4
            lock.unlock()
            return (p, cls)
        }
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, cls * 4)
        guard status == 0, let raw else {
            // Out of memory: nothing sensible can continue.
            fatalError("TensorAllocator: cannot allocate \(cls * 4) bytes (errno \(status))")
        }
        return (raw.bindMemory(to: Float.self, capacity: cls), cls)
    }

    /// Gives a buffer back; it is cached for reuse or freed when the cache is full.
    public func release(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        liveBytes -= capacity * 4
        if cachedBytes + capacity * 4 <= cacheLimitBytes {
            free[capacity, default: []].append(pointer)
            cachedBytes += capacity * 4
            lock.unlock()
            return
        }
        lock.unlock()
        Foundation.free(pointer)
    }

    /// Frees every cached buffer.
    public func emptyCache() {
        lock.lock()
        let lists = free
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for (_, list) in lists { for p in list { Foundation.free(p) } }
    }

    public func resetPeak() {
        lock.lock(); peakLiveBytes = liveBytes; lock.unlock()
    }
}

/// A reference-counted, 64-byte-aligned, contiguous `Float` buffer owned by one or more tensors.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    let capacity: Int

    /// The elements rounded to BF16, made on first use by a BF16 matrix product (see `BF16Copies`).
    var bf16Copy: BF16Copy?

    /// An uninitialised buffer of `count` floats.
    public init(count: Int) {
        self.count = count
        (pointer, capacity) = TensorAllocator.shared.allocate(count)
    }

    deinit { TensorAllocator.shared.release(pointer, capacity: capacity) }
}

/// A BF16 copy of a whole `TensorStorage` (same element order), valid while the copies' generation holds.
final class BF16Copy {
    let pointer: UnsafeMutablePointer<UInt16>
    let generation: UInt64
    private let raw: UnsafeMutablePointer<Float>, capacity: Int

    init(count: Int, generation: UInt64) {
        (raw, capacity) = TensorAllocator.shared.allocate((count + 1) / 2)
        pointer = UnsafeMutableRawPointer(raw).bindMemory(to: UInt16.self, capacity: count)
        self.generation = generation
    }

    deinit { TensorAllocator.shared.release(raw, capacity: capacity) }
}

/// BF16 copies of tensor buffers for the native BF16 matrix products: each buffer is rounded once, on its first
/// use as a matrix-product operand, and the copy serves every later product that reads it (a weight in the
/// forward and input-gradient products of a step, an activation in its forward and weight-gradient products).
///
/// Tensor operations never write into their inputs, so a copy stays exact as long as nobody writes into the
/// buffer in place. The in-place writers (the optimizer kernels, EMA, gradient scaling) call `invalidateAll()`,
/// which starts a new generation: every copy made before is remade on its next use. Code that writes into a
/// tensor's `data` in place and then multiplies it in the BF16 mode must call `invalidateAll()` too.
public enum BF16Copies {
    nonisolated(unsafe) private static var generation: UInt64 = 0
    private static let lock = NSLock()

    /// Whether producing kernels round in their epilogue (tests switch it off: the copies must not change).
    nonisolated(unsafe) static var fusedRounding = true

    /// Marks every BF16 copy stale (call after writing into tensor buffers in place).
    public static func invalidateAll() {
        lock.lock(); generation &+= 1; lock.unlock()
    }

    /// Where a kernel that is now writing `tensor` writes its BF16 copy too, in the same pass ("in its epilogue"),
    /// when the native BF16 mode is on (nil otherwise): the later products that read the tensor then find the copy
    /// made and skip the separate rounding pass. The kernel must fill every element before the tensor is used.
    /// For tensors that feed matrix products (activations before a linear layer, gradients of a linear layer's
    /// output).
    static func epilogue(for tensor: Tensor) -> UnsafeMutablePointer<UInt16>? {
        guard fusedRounding, MatmulMode.current == .bf16, BF16Backend.current == .native else { return nil }
        let storage = tensor.storage
        lock.lock()
        let c = BF16Copy(count: storage.count, generation: generation)
        storage.bf16Copy = c
        lock.unlock()
        return c.pointer + (tensor.data - storage.pointer)
    }

    /// The BF16 copy of `storage`, made now if missing or stale.
    static func of(_ storage: TensorStorage) -> UnsafePointer<UInt16> {
        lock.lock()
        let current = generation
        if let c = storage.bf16Copy, c.generation == current {
            lock.unlock()
            return UnsafePointer(c.pointer)
        }
        let c = BF16Copy(count: storage.count, generation: current)
        BF16Kernels.narrow(storage.pointer, c.pointer, storage.count)
        storage.bf16Copy = c
        lock.unlock()
        return UnsafePointer(c.pointer)
    }
}
