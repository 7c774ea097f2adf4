import Foundation
import VTPTensor

/// A value computed from weight tensors (BatchNorm folded in, reordered for a kernel, …), kept until one of those
/// tensors is replaced — as loading does; a frozen network never updates them in place. It holds the storages it
/// was computed from, so that their identities stay theirs. Thread-safe.
public final class WeightDerivedCache<Value>: @unchecked Sendable {
    private var entry: (sources: [TensorStorage], value: Value)?
    private let lock = NSLock()

    public init() {}

    /// The cached value if `tensors` are still the ones it was made from, else `make()` (then cached).
    public func value(from tensors: [Tensor], make: () -> Value) -> Value {
        let sources = tensors.map(\.storage)
        lock.lock()
        defer { lock.unlock() }
        if let e = entry, e.sources.count == sources.count, zip(e.sources, sources).allSatisfy({ $0 === $1 }) { return e.value }
        let v = make()
        entry = (sources, v)
        return v
    }
}
