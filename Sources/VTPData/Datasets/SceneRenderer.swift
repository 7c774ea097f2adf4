import Foundation

/// Rasterises `SyntheticScenes.Scene`s: background, then each object with analytic anti-aliasing
/// (pixel coverage = clamp(0.5 - signed distance, 0, 1), distances in pixels, sampled at pixel centres).
/// Only each object's bounding box is visited, so a 64×64 scene costs a few thousand distance evaluations.
public enum SceneRenderer {
    /// Largest centre-to-outline distance of a shape, in units of the object's radius.
    public static func extent(_ shape: SyntheticScenes.Shape) -> Float {
        switch shape {
        case .circle: return 0.9
        case .square: return 0.8 * Float(2).squareRoot()
        case .diamond: return 1.1
        case .triangle: return 1.15
        case .star: return 1.1
        case .hexagon: return 0.95
        }
    }

    /// Polygon vertices in pixels (nil for the circle), clockwise on screen.
    static func polygon(_ o: SyntheticScenes.Object) -> [SIMD2<Float>]? {
        var unit: [SIMD2<Float>]
        func ring(_ n: Int, radius: Float, start: Float) -> [SIMD2<Float>] {
            (0..<n).map { k in
                let a = start + Float(k) * 2 * .pi / Float(n)
                return SIMD2(radius * cos(a), radius * sin(a))
            }
        }
        switch o.shape {
        case .circle: return nil
        case .square: unit = [SIMD2(-0.8, -0.8), SIMD2(0.8, -0.8), SIMD2(0.8, 0.8), SIMD2(-0.8, 0.8)]
        case .diamond: unit = [SIMD2(0, -1.1), SIMD2(0.72, 0), SIMD2(0, 1.1), SIMD2(-0.72, 0)]
        case .triangle: unit = ring(3, radius: 1.15, start: -.pi / 2)
        case .hexagon: unit = ring(6, radius: 0.95, start: 0)
        case .star:
            unit = (0..<10).map { k in
                let a = -Float.pi / 2 + Float(k) * .pi / 5
                let r: Float = k % 2 == 0 ? 1.1 : 0.45
                return SIMD2(r * cos(a), r * sin(a))
            }
        }
        let c = cos(o.rotation), s = sin(o.rotation)
        return unit.map { v in
            SIMD2(o.x + o.radius * (c * v.x - s * v.y), o.y + o.radius * (s * v.x + c * v.y))
        }
    }

    /// Signed distance (negative inside) from `p` to the closed polygon `v`.
    @inline(__always)
    static func polygonDistance(_ p: SIMD2<Float>, _ v: UnsafeBufferPointer<SIMD2<Float>>) -> Float {
        var best = Float.infinity
        var inside = false
        var j = v.count - 1
        for i in 0..<v.count {
            let a = v[j], b = v[i]
            let e = b - a, w = p - a
            let t = max(0, min(1, (w.x * e.x + w.y * e.y) / (e.x * e.x + e.y * e.y)))
            let d = w - e * t
            best = min(best, d.x * d.x + d.y * d.y)
            // Even-odd crossing test on the horizontal ray to +x.
            if (a.y > p.y) != (b.y > p.y) {
                let xCross = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x)
                if p.x < xCross { inside.toggle() }
            }
            j = i
        }
        let d = best.squareRoot()
        return inside ? -d : d
    }

    /// The scene as a `size`×`size` image.
    public static func render(_ scene: SyntheticScenes.Scene, size: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        let bg = scene.backgroundRGB.map(Float.init)
        pixels.withUnsafeMutableBufferPointer { out in
            fillBackground(out, size: size, base: bg, background: scene.background)
            for object in scene.objects { draw(object, into: out, size: size) }
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    static func fillBackground(_ out: UnsafeMutableBufferPointer<UInt8>, size: Int, base: [Float],
                               background: SyntheticScenes.Background) {
        let inv = 1 / Float(size)
        let (b0, b1, b2) = (base[0], base[1], base[2])
        @inline(__always) func put(_ i: Int, _ offset: Float) {
            out[i] = UInt8(max(0, min(255, b0 + offset)).rounded())
            out[i + 1] = UInt8(max(0, min(255, b1 + offset)).rounded())
            out[i + 2] = UInt8(max(0, min(255, b2 + offset)).rounded())
        }
        switch background {
        case .plain:
            for i in stride(from: 0, to: size * size * 3, by: 3) { put(i, 0) }
        case .gradient(let angle, let amplitude):
            let cx = 2 * amplitude * cos(angle) * inv, cy = 2 * amplitude * sin(angle) * inv
            let centre = (Float(size) / 2 - 0.5)
            for y in 0..<size {
                let rowOffset = (Float(y) - centre) * cy
                for x in 0..<size { put((y * size + x) * 3, rowOffset + (Float(x) - centre) * cx) }
            }
        case .noise(let amplitude, let seed):
            for p in 0..<(size * size) {
                let h = SampleSeeds.mix(seed, UInt64(p))
                put(p * 3, amplitude * (Float(h >> 40) * (2.0 / 16_777_216) - 1))
            }
        }
    }

    static func draw(_ o: SyntheticScenes.Object, into out: UnsafeMutableBufferPointer<UInt8>, size: Int) {
        let reach = extent(o.shape) * o.radius + 1
        let x0 = max(0, Int((o.x - reach).rounded(.down))), x1 = min(size - 1, Int((o.x + reach).rounded(.up)))
        let y0 = max(0, Int((o.y - reach).rounded(.down))), y1 = min(size - 1, Int((o.y + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let colour = o.rgb.map(Float.init)
        let vertices = polygon(o) ?? []
        let circleRadius = 0.9 * o.radius
        vertices.withUnsafeBufferPointer { v in
            for y in y0...y1 {
                for x in x0...x1 {
                    let p = SIMD2<Float>(Float(x) + 0.5, Float(y) + 0.5)
                    let d: Float
                    if v.isEmpty {
                        let q = p - SIMD2(o.x, o.y)
                        d = (q.x * q.x + q.y * q.y).squareRoot() - circleRadius
                    } else {
                        d = polygonDistance(p, v)
                    }
                    let a = max(0, min(1, 0.5 - d))
                    if a <= 0 { continue }
                    let i = (y * size + x) * 3
                    for c in 0..<3 {
                        let b = Float(out[i + c])
                        out[i + c] = UInt8(b + a * (colour[c] - b) + 0.5)
                    }
                }
            }
        }
    }
}
