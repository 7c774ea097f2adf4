import Testing
@testable import VTPTensor
@_exported import VTPTestSupport

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i])) }
    return m
}

func maxAbsDiff(_ a: Tensor, _ b: [Float]) -> Float { maxAbsDiff(a, Tensor(b, shape: a.shape)) }

