import VTPTensor

/// A built-in, download-free captioned dataset: 1–3 flat shapes on a plain or lightly textured
/// background, drawn with anti-aliasing, with compositional captions such as
/// "two small red circles left of a blue square" or "a large green star at the top".
/// Every sample is a pure function of (seed, index). `label` is the class of the caption's subject
/// (colour + shape by default) so zero-shot accuracy can be measured with `classNames`.
public struct SyntheticScenes: ImageTextDataset {
    public enum Shape: String, CaseIterable, Sendable {
        case circle, square, triangle, diamond, star, hexagon

        public var plural: String { rawValue + "s" }
    }

    public enum Colour: String, CaseIterable, Sendable {
        case red, green, blue, yellow, purple, orange, white, black

        /// Nominal sRGB value (each object jitters it slightly).
        public var rgb: (UInt8, UInt8, UInt8) {
            switch self {
            case .red: return (215, 38, 38)
            case .green: return (40, 165, 60)
            case .blue: return (40, 75, 215)
            case .yellow: return (240, 210, 35)
            case .purple: return (135, 55, 180)
            case .orange: return (245, 135, 25)
            case .white: return (248, 248, 248)
            case .black: return (18, 18, 18)
            }
        }
    }

    /// What `label` and `classNames` describe: the subject's colour and shape ("red circle", 48 classes),
    /// only its shape (6 classes) or only its colour (8 classes).
    public enum LabelKind: String, Sendable {
        case colourShape, shape, colour
    }

    public enum Relation: String, CaseIterable, Sendable {
        case leftOf = "left of", rightOf = "right of", above, below
    }

    /// One drawn object. Centre and radius are in pixels; `radius` is the size of the shape's
    /// circumscribed circle before the per-shape proportions in `SceneRenderer`.
    public struct Object: Sendable, Equatable {
        public var shape: Shape
        public var colour: Colour
        public var large: Bool
        public var x: Float
        public var y: Float
        public var radius: Float
        /// Radians.
        public var rotation: Float
        public var rgb: [UInt8]
    }

    public enum Background: Sendable, Equatable {
        case plain
        /// Linear ramp of +-amplitude along the direction `angle` (radians).
        case gradient(angle: Float, amplitude: Float)
        /// Per-pixel hash noise of +-amplitude.
        case noise(amplitude: Float, seed: UInt64)
    }

    /// A scene's layout and text, before rasterisation.
    public struct Scene: Sendable, Equatable {
        public var objects: [Object]
        public var backgroundRGB: [UInt8]
        public var background: Background
        public var caption: String
        public var label: Int
        /// Index into `objects` of the first caption object (the subject).
        public var subject: Int
    }

    public let count: Int
    public let size: Int
    public let seed: UInt64
    public let maxObjects: Int
    public let labelKind: LabelKind

    /// `count` scenes of `size`×`size` pixels. `maxObjects` (1...3) bounds the objects per scene; 1 gives
    /// single-object scenes, handy for an unambiguous zero-shot evaluation set.
    public init(count: Int, size: Int = 64, seed: UInt64 = 0, maxObjects: Int = 3, labelKind: LabelKind = .colourShape) {
        precondition(count >= 1, "SyntheticScenes: count must be >= 1")
        precondition(size >= 16, "SyntheticScenes: size must be >= 16 pixels")
        precondition((1...3).contains(maxObjects), "SyntheticScenes: maxObjects must be 1, 2 or 3")
        self.count = count
        self.size = size
        self.seed = seed
        self.maxObjects = maxObjects
        self.labelKind = labelKind
    }

    public var classNames: [String]? {
        switch labelKind {
        case .colourShape: return Colour.allCases.flatMap { c in Shape.allCases.map { "\(c.rawValue) \($0.rawValue)" } }
        case .shape: return Shape.allCases.map(\.rawValue)
        case .colour: return Colour.allCases.map(\.rawValue)
        }
    }

    /// The label of an object under `labelKind`.
    public func label(shape: Shape, colour: Colour) -> Int {
        let s = Shape.allCases.firstIndex(of: shape)!, c = Colour.allCases.firstIndex(of: colour)!
        switch labelKind {
        case .colourShape: return c * Shape.allCases.count + s
        case .shape: return s
        case .colour: return c
        }
    }

    public func sample(_ index: Int) throws -> ImageTextSample {
        guard index >= 0, index < count else { throw DatasetError.invalidArgument("index \(index) outside 0..<\(count)") }
        let scene = self.scene(index)
        return ImageTextSample(image: SceneRenderer.render(scene, size: size), caption: scene.caption,
                               label: scene.label, key: "scene-\(index)")
    }

    // MARK: Layout

    /// The layout and caption of scene `index` (deterministic in (seed, index)).
    public func scene(_ index: Int) -> Scene {
        var rng = RNG(seed: SampleSeeds.mix(SampleSeeds.mix(seed, 0x5CE7E), UInt64(truncatingIfNeeded: index)))
        let s = Float(size)
        // Background: a muted grey-ish tone that every shape colour stands out from.
        let base = 115 + rng.uniform() * 70
        let backgroundRGB = (0..<3).map { _ in UInt8(max(0, min(255, base + rng.uniform(-14, 14)))) }
        let background: Background
        switch rng.int(below: 3) {
        case 0: background = .plain
        case 1: background = .gradient(angle: rng.uniform(0, 2 * .pi), amplitude: rng.uniform(6, 22))
        default: background = .noise(amplitude: rng.uniform(3, 9), seed: rng.next())
        }

        let kind: Int  // 0 single, 1 group, 2 relation
        if maxObjects == 1 {
            kind = 0
        } else {
            let u = rng.uniform()
            kind = u < 0.35 ? 0 : (u < 0.6 ? 1 : 2)
        }
        let subjectShape = Shape.allCases[rng.int(below: Shape.allCases.count)]
        let subjectColour = Colour.allCases[rng.int(below: Colour.allCases.count)]
        let subjectLarge = rng.bernoulli(0.5)
        var objects: [Object] = []
        let caption: String
        let margin = 0.04 * s

        switch kind {
        case 0:
            let positions = ["on the left", "on the right", "at the top", "at the bottom", "in the center"]
            let p = rng.int(below: positions.count)
            // Centre ranges per position (fractions of the side).
            let (xr, yr): (ClosedRange<Float>, ClosedRange<Float>) = [
                (0.2...0.3, 0.35...0.65), (0.7...0.8, 0.35...0.65), (0.35...0.65, 0.2...0.3),
                (0.35...0.65, 0.7...0.8), (0.42...0.58, 0.42...0.58),
            ][p]
            var object = makeObject(subjectShape, subjectColour, large: subjectLarge, rng: &rng)
            object.x = s * rng.uniform(xr.lowerBound, xr.upperBound)
            object.y = s * rng.uniform(yr.lowerBound, yr.upperBound)
            let reach = SceneRenderer.extent(object.shape) * object.radius + margin
            object.x = min(max(object.x, reach), s - reach)
            object.y = min(max(object.y, reach), s - reach)
            objects.append(object)
            let phrase = Self.phrase(count: 1, shape: subjectShape, colour: subjectColour, large: subjectLarge,
                                     withSize: rng.bernoulli(0.6))
            caption = rng.bernoulli(0.75) ? phrase + " " + positions[p] : phrase
        case 1:
            let n = 2 + rng.int(below: maxObjects - 1)
            for _ in 0..<n {
                var object = makeObject(subjectShape, subjectColour, large: subjectLarge, rng: &rng)
                place(&object, among: objects, x: 0...1, y: 0...1, rng: &rng)
                objects.append(object)
            }
            caption = Self.phrase(count: n, shape: subjectShape, colour: subjectColour, large: subjectLarge,
                                  withSize: rng.bernoulli(0.6))
        default:
            let n = 1 + rng.int(below: maxObjects - 1)
            var refShape = Shape.allCases[rng.int(below: Shape.allCases.count)]
            var refColour = Colour.allCases[rng.int(below: Colour.allCases.count)]
            if refShape == subjectShape && refColour == subjectColour {
                if rng.bernoulli(0.5) {
                    refShape = Shape.allCases[(Shape.allCases.firstIndex(of: refShape)! + 1 + rng.int(below: 5)) % 6]
                } else {
                    refColour = Colour.allCases[(Colour.allCases.firstIndex(of: refColour)! + 1 + rng.int(below: 7)) % 8]
                }
            }
            let refLarge = rng.bernoulli(0.5)
            let relation = Relation.allCases[rng.int(below: 4)]
            let low: ClosedRange<Float> = 0...0.47, high: ClosedRange<Float> = 0.53...1, all: ClosedRange<Float> = 0...1
            let (sx, sy, rx, ry): (ClosedRange<Float>, ClosedRange<Float>, ClosedRange<Float>, ClosedRange<Float>)
            switch relation {
            case .leftOf: (sx, sy, rx, ry) = (low, all, high, all)
            case .rightOf: (sx, sy, rx, ry) = (high, all, low, all)
            case .above: (sx, sy, rx, ry) = (all, low, all, high)
            case .below: (sx, sy, rx, ry) = (all, high, all, low)
            }
            for _ in 0..<n {
                var object = makeObject(subjectShape, subjectColour, large: subjectLarge && n == 1, rng: &rng)
                place(&object, among: objects, x: sx, y: sy, rng: &rng)
                objects.append(object)
            }
            var reference = makeObject(refShape, refColour, large: refLarge, rng: &rng)
            place(&reference, among: objects, x: rx, y: ry, rng: &rng)
            objects.append(reference)
            let withSize = rng.bernoulli(0.5)
            caption = Self.phrase(count: n, shape: subjectShape, colour: subjectColour, large: subjectLarge && n == 1,
                                  withSize: withSize)
                + " " + relation.rawValue + " "
                + Self.phrase(count: 1, shape: refShape, colour: refColour, large: refLarge, withSize: !withSize && rng.bernoulli(0.5))
        }
        return Scene(objects: objects, backgroundRGB: backgroundRGB, background: background, caption: caption,
                     label: label(shape: subjectShape, colour: subjectColour), subject: 0)
    }

    private func makeObject(_ shape: Shape, _ colour: Colour, large: Bool, rng: inout RNG) -> Object {
        let s = Float(size)
        let radius = s * (large ? rng.uniform(0.14, 0.19) : rng.uniform(0.075, 0.1))
        let jitter: Float = colour == .white || colour == .black ? 6 : 14
        let (r, g, b) = colour.rgb
        let rgb = [r, g, b].map { UInt8(max(0, min(255, Float($0) + rng.uniform(-jitter, jitter)))) }
        let spread: Float = shape == .hexagon ? .pi / 3 : (shape == .circle ? 0 : 0.3)
        return Object(shape: shape, colour: colour, large: large, x: s / 2, y: s / 2, radius: radius,
                      rotation: rng.uniform(-spread / 2, spread / 2), rgb: rgb)
    }

    /// Puts the object's centre in the region (fractions of the side, shrunk to keep the shape inside
    /// the image), avoiding overlap with `others` when possible within 40 tries.
    private func place(_ object: inout Object, among others: [Object], x: ClosedRange<Float>, y: ClosedRange<Float>,
                       rng: inout RNG) {
        let s = Float(size)
        let reach = SceneRenderer.extent(object.shape) * object.radius + 0.03 * s
        func range(_ r: ClosedRange<Float>) -> (Float, Float) {
            let lo = max(r.lowerBound * s, 0) + reach, hi = min(r.upperBound * s, s) - reach
            return lo <= hi ? (lo, hi) : ((lo + hi) / 2, (lo + hi) / 2)
        }
        let (x0, x1) = range(x), (y0, y1) = range(y)
        var best: (Float, Float, Float) = (x0, y0, -.infinity)
        for _ in 0..<40 {
            let cx = rng.uniform(x0, x1), cy = rng.uniform(y0, y1)
            var clearance = Float.infinity
            for o in others {
                let d = ((cx - o.x) * (cx - o.x) + (cy - o.y) * (cy - o.y)).squareRoot()
                clearance = min(clearance, d - SceneRenderer.extent(o.shape) * o.radius
                    - SceneRenderer.extent(object.shape) * object.radius)
            }
            if clearance > best.2 { best = (cx, cy, clearance) }
            if clearance >= 0.02 * s { break }
        }
        object.x = best.0
        object.y = best.1
    }

    static let numberWords = ["", "a", "two", "three"]

    /// "a small red circle", "two blue stars", "an orange square".
    static func phrase(count: Int, shape: Shape, colour: Colour, large: Bool, withSize: Bool) -> String {
        var words: [String] = []
        if withSize { words.append(large ? "large" : "small") }
        words.append(colour.rawValue)
        words.append(count == 1 ? shape.rawValue : shape.plural)
        var number = numberWords[count]
        if count == 1, let first = words[0].first, "aeiou".contains(first) { number = "an" }
        return ([number] + words).joined(separator: " ")
    }
}
