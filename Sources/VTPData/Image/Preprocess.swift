/// The official VTP (MiniMax-AI/VTP) image preprocessing, reproduced on top of the Pillow-exact resizer.
///
/// Geometry steps are bit-exact with Pillow + the official Python code (Pillow 13 pass order by default;
/// pass `passOrder: .pillow12` to reproduce results computed with Pillow <= 12). `normalizedCHW` reproduces
/// torchvision's float32 `ToTensor()` + `Normalize(mean, std)` arithmetic exactly, and
/// `imageFromNormalizedCHW` the reconstruction script's `Normalize(-m/s, 1/s)` + clamp + `* 255` +
/// `astype(uint8)`.
public enum Preprocess {
    /// ImageNet statistics used by every VTP pipeline, as torch holds them (Python double -> float32).
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406].map { (v: Double) in Float(v) }
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225].map { (v: Double) in Float(v) }

    // MARK: Geometry

    /// torchvision `Resize((height, width))` on a PIL image: resize to exactly that size, ignoring the
    /// aspect ratio (bilinear with antialiasing by default). The zero-shot evaluation uses size 256.
    public static func squashResize(_ image: RGBImage, size: Int = 256, filter: ResampleFilter = .bilinear,
                                    passOrder: ResamplePassOrder = .default) -> RGBImage {
        squashResize(image, width: size, height: size, filter: filter, passOrder: passOrder)
    }

    public static func squashResize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter = .bilinear,
                                    passOrder: ResamplePassOrder = .default) -> RGBImage {
        image.resized(width: width, height: height, filter: filter, passOrder: passOrder)
    }

    /// ADM's `center_crop_arr(pil_image, size)` (guided-diffusion, used by VTP reconstruction and
    /// generation): halve with BOX while the short side is >= 2*size, then scale the short side to
    /// `size` with BICUBIC (new sides rounded with Python's `round`, i.e. half to even), then crop the
    /// centre `size` x `size` at offsets `(H - size) // 2`, `(W - size) // 2`.
    public static func centerCropADM(_ image: RGBImage, size: Int, passOrder: ResamplePassOrder = .default) -> RGBImage {
        precondition(size >= 1, "centerCropADM: size must be >= 1")
        precondition(image.width > 0 && image.height > 0, "centerCropADM: empty image")
        var current = image
        while min(current.width, current.height) >= 2 * size {
            current = current.resized(width: current.width / 2, height: current.height / 2, filter: .box,
                                      passOrder: passOrder)
        }
        let scale = Double(size) / Double(min(current.width, current.height))
        let newWidth = Int((Double(current.width) * scale).rounded(.toNearestOrEven))
        let newHeight = Int((Double(current.height) * scale).rounded(.toNearestOrEven))
        current = current.resized(width: newWidth, height: newHeight, filter: .bicubic, passOrder: passOrder)
        precondition(current.width >= size && current.height >= size,
                     "centerCropADM: resized to \(current.width)x\(current.height), smaller than \(size)")
        let top = (current.height - size) / 2  // non-negative, so Swift's / equals Python's //
        let left = (current.width - size) / 2
        return try! current.cropped(x: left, y: top, width: size, height: size)
    }

    /// torchvision `Resize(size)` with an int on a PIL image: the short side becomes `size`, the long side
    /// `int(size * long / short)` (truncated); unchanged when already that size.
    public static func resizeShorterSide(_ image: RGBImage, to size: Int, filter: ResampleFilter = .bicubic,
                                         passOrder: ResamplePassOrder = .default) -> RGBImage {
        precondition(size >= 1, "resizeShorterSide: size must be >= 1")
        precondition(image.width > 0 && image.height > 0, "resizeShorterSide: empty image")
        let w = image.width, h = image.height
        let (short, long) = w <= h ? (w, h) : (h, w)
        let newLong = Int(Double(size * long) / Double(short))
        let (newWidth, newHeight) = w <= h ? (size, newLong) : (newLong, size)
        if newWidth == w && newHeight == h { return image }
        return image.resized(width: newWidth, height: newHeight, filter: filter, passOrder: passOrder)
    }

    /// torchvision `CenterCrop((height, width))` on a PIL image: zero-pads first when the image is
    /// smaller than the crop, then crops at `int(round((H - h) / 2))`, `int(round((W - w) / 2))`
    /// (Python's round: half to even).
    public static func centerCrop(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width >= 1 && height >= 1, "centerCrop: crop size must be >= 1")
        var current = image
        if width > current.width || height > current.height {
            let padX = max(0, width - current.width), padY = max(0, height - current.height)
            current = current.padded(left: padX / 2, top: padY / 2, right: (padX + 1) / 2, bottom: (padY + 1) / 2)
            if current.width == width && current.height == height { return current }
        }
        let top = Int((Double(current.height - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(current.width - width) / 2).rounded(.toNearestOrEven))
        return try! current.cropped(x: left, y: top, width: width, height: height)
    }

    /// The linear-probing evaluation transform: `Resize(resize, BICUBIC)` then `CenterCrop(crop)`.
    public static func resizeShorterCenterCrop(_ image: RGBImage, resize: Int = 256, crop: Int = 224,
                                               filter: ResampleFilter = .bicubic,
                                               passOrder: ResamplePassOrder = .default) -> RGBImage {
        centerCrop(resizeShorterSide(image, to: resize, filter: filter, passOrder: passOrder), width: crop, height: crop)
    }

    // MARK: Tensors

    /// `Normalize(mean, std)(ToTensor()(image))` as float32 planar CHW (`[3 * H * W]`):
    /// `x = Float(u8) / 255`, then `(x - mean[c]) / std[c]`, each step rounded to float32 like torch.
    public static func normalizedCHW(_ image: RGBImage, mean: [Float] = imagenetMean,
                                     std: [Float] = imagenetStd) -> [Float] {
        precondition(mean.count == 3 && std.count == 3, "normalizedCHW: mean and std need 3 values")
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    for i in 0..<plane {
                        let x = Float(src[i * 3 + c]) / 255
                        dst[c * plane + i] = (x - m) / s
                    }
                }
            }
        }
        return out
    }

    /// How `imageFromNormalizedCHW` turns [0, 1] floats into bytes.
    public enum Quantization: Sendable {
        /// `(x * 255).astype(np.uint8)`: truncation, as the official reconstruction evaluation saves images.
        case truncate
        /// Round half to even (`np.round` / `torch.round`).
        case roundToNearest
    }

    /// Inverse of `normalizedCHW`, as the official reconstruction evaluation does it:
    /// `Normalize(-mean/std, 1/std)` (i.e. `(x - (-m/s)) / (1/s)` with float32 constants computed in
    /// double), clamp to [0, 1], `* 255` in float32, then `quantization`. Mathematically `x * std + mean`;
    /// this form is used so that results are bit-identical to the Python script.
    public static func imageFromNormalizedCHW(_ x: [Float], width: Int, height: Int,
                                              mean: [Float] = imagenetMean, std: [Float] = imagenetStd,
                                              quantization: Quantization = .truncate) throws -> RGBImage {
        guard mean.count == 3, std.count == 3 else {
            throw ImageError.invalidArgument("mean and std need 3 values (got \(mean.count), \(std.count))")
        }
        guard width >= 0, height >= 0, x.count == 3 * width * height else {
            throw ImageError.invalidArgument("CHW buffer has \(x.count) floats, expected 3x\(height)x\(width)")
        }
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        x.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    // torchvision receives Python floats: -m/s and 1/s in double, then stored as float32.
                    let m = Double(mean[c]), s = Double(std[c])
                    let shift = Float(-m / s), divisor = Float(1 / s)
                    for i in 0..<plane {
                        var v = (src[c * plane + i] - shift) / divisor
                        v = v.isNaN ? v : min(max(v, 0), 1)  // torch.clamp propagates NaN
                        let scaled = v * 255
                        let q: Float
                        switch quantization {
                        case .truncate: q = scaled.rounded(.towardZero)
                        case .roundToNearest: q = scaled.rounded(.toNearestOrEven)
                        }
                        dst[i * 3 + c] = q.isNaN ? 0 : UInt8(q)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    // MARK: Pipelines

    /// The preprocessing of each official evaluation, from a decoded image to the model input.
    public enum Pipeline: Sendable, Equatable {
        /// Zero-shot classification (`test_zero_shot_hf.py`): squash to size x size (bilinear), normalise.
        case zeroShot(size: Int)
        /// Reconstruction / generation (`test_reconstruction_hf.py`, ADM `center_crop_arr`), normalise.
        case reconstruction(size: Int)
        /// Linear-probing evaluation (`test_linear_probing_hf.py`): Resize(resize, bicubic), CenterCrop(crop).
        case linearProbe(resize: Int, crop: Int)

        /// The geometric part (the RGB image the model sees, before normalisation).
        public func prepare(_ image: RGBImage, passOrder: ResamplePassOrder = .default) -> RGBImage {
            switch self {
            case .zeroShot(let size):
                return Preprocess.squashResize(image, size: size, passOrder: passOrder)
            case .reconstruction(let size):
                return Preprocess.centerCropADM(image, size: size, passOrder: passOrder)
            case .linearProbe(let resize, let crop):
                return Preprocess.resizeShorterCenterCrop(image, resize: resize, crop: crop, passOrder: passOrder)
            }
        }

        /// `prepare` then ImageNet normalisation: float32 `[3, H, W]` flattened.
        public func tensor(_ image: RGBImage, passOrder: ResamplePassOrder = .default)
            -> (values: [Float], height: Int, width: Int) {
            let prepared = prepare(image, passOrder: passOrder)
            return (Preprocess.normalizedCHW(prepared), prepared.height, prepared.width)
        }
    }
}
