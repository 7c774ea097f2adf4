import Foundation
import VTPData
import VTPModels
import VTPTensor
import VTPTraining

/// One parser under test: `run` feeds it an input and returns false when the input was rejected before parsing
/// (libFuzzer then leaves it out of the corpus). Errors thrown are the parser's verdict on bad input.
struct FuzzTarget {
    let name: String
    let summary: String
    let run: ([UInt8]) throws -> Bool

    /// Every target; `scripts/fuzz.sh --list` prints their names and `fuzz/corpus/<name>` holds their seeds.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "safetensors", summary: "a .safetensors file: header, offsets, then every tensor's data",
                   run: safeTensorsFile),
        FuzzTarget(name: "safetensors-index", summary: "model.safetensors.index.json over two fixed shards",
                   run: safeTensorsIndex),
        FuzzTarget(name: "config-json", summary: "config.json -> VTPConfig (decode + validate), then the model when small", run: configJSON),
        FuzzTarget(name: "dit-config-json", summary: "LightningDiT config.json (decode + validate), then the model when small",
                   run: ditConfigJSON),
        FuzzTarget(name: "dit-weights", summary: "a state dict -> LightningDiT architecture (vtp dit import), then a strict load when small",
                   run: ditWeights),
        FuzzTarget(name: "train-yaml", summary: "train YAML, then NUL-separated key=value overrides -> TrainConfig",
                   run: trainYAML),
        FuzzTarget(name: "png", summary: "PNG decode to RGB (libpng, pixel limits)", run: { try image($0, .png) }),
        FuzzTarget(name: "jpeg", summary: "JPEG decode to RGB (libjpeg, pixel limits)", run: { try image($0, .jpeg) }),
        FuzzTarget(name: "tar", summary: "tar index + WebDataset grouping of one shard", run: tarShard),
        FuzzTarget(name: "idx", summary: "IDX (MNIST) array file", run: idx),
        FuzzTarget(name: "captions", summary: "captions.csv and captions.jsonl", run: captions),
        FuzzTarget(name: "tokenizer", summary: "CLIP BPE tokenizer (ftfy-style repair, HTML entities) on any bytes",
                   run: tokenizer),
        FuzzTarget(name: "torch", summary: "PyTorch checkpoint (zip or legacy), restricted unpickler", run: torch),
        FuzzTarget(name: "npy", summary: "NumPy .npy array", run: npy),
        FuzzTarget(name: "npz", summary: "zip archive (.npz): directory, inflate, then each .npy member", run: npz),
    ]
}

/// Tensors larger than this are not converted (the parser's own checks run before; this bounds the harness).
private let maxConvertedBytes = 1 << 22

private func readTensors(_ infos: [SafeTensorInfo], floats: (String) throws -> [Float], bytes: (String) throws -> [UInt8]) {
    for t in infos where t.byteCount <= maxConvertedBytes {
        _ = try? bytes(t.name)
        _ = try? floats(t.name)
    }
}

private func safeTensorsFile(_ input: [UInt8]) throws -> Bool {
    let file = try SafeTensorsFile(url: try scratchFile("model.safetensors", input))
    readTensors(file.tensors, floats: file.floats, bytes: file.bytes)
    for t in file.tensors where t.byteCount <= maxConvertedBytes { _ = try? file.tensor(t.name) }
    return true
}

/// Two small shards next to the index, written once.
private let shardsReady: Bool = {
    var a = SafeTensorsWriter(metadata: ["format": "pt"])
    try? a.add(name: "a.bias", shape: [3], floats: [1, 2, 3])
    try? a.add(name: "q", shape: [2, 2], floats: [1, 2, 3, 4], as: .bf16)
    var b = SafeTensorsWriter()
    try? b.add(name: "b.weight", shape: [2], int64s: [7, 8])
    try? b.add(name: "é", shape: [], floats: [0.5], as: .f16)
    try? a.write(to: scratch.appendingPathComponent("model-00001-of-00002.safetensors"))
    try? b.write(to: scratch.appendingPathComponent("model-00002-of-00002.safetensors"))
    return true
}()

private func safeTensorsIndex(_ input: [UInt8]) throws -> Bool {
    _ = shardsReady
    let url = try scratchFile("model.safetensors.index.json", input)
    let index = try ShardedSafeTensors(indexURL: url, requireAllTensorsMapped: input.count % 2 == 0)
    let infos = index.names.compactMap { try? index.info($0) }
    readTensors(infos, floats: index.floats, bytes: index.bytes)
    return true
}

/// Models up to this many parameters are built from a valid config (layer initialisers see every size).
private let maxBuiltParameters = 2_000_000.0

private func configJSON(_ input: [UInt8]) throws -> Bool {
    let config = try VTPConfig.load(from: try scratchFile("config.json", input))
    if config.estimatedParameterCount <= maxBuiltParameters { _ = try VTPModel(config: config) }
    return true
}

private func ditConfigJSON(_ input: [UInt8]) throws -> Bool {
    let config = try LightningDiTConfig.load(from: try scratchFile("config.json", input))
    if config.estimatedParameterCount <= maxBuiltParameters { _ = try LightningDiT(config: config) }
    return true
}

private func ditWeights(_ input: [UInt8]) throws -> Bool {
    let file = try SafeTensorsFile(url: try scratchFile("model.safetensors", input))
    let config = try LightningDiTConfig.inferred(from: file)
    if config.estimatedParameterCount <= maxBuiltParameters { try LightningDiT(config: config).loadWeights(from: file) }
    return true
}

private func trainYAML(_ input: [UInt8]) throws -> Bool {
    let parts = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let config = try TrainConfig.parse(yaml: parts[0], overrides: Array(parts.dropFirst()))
    // The resolved YAML must read back.
    _ = try TrainConfig.parse(yaml: config.resolvedYAML())
    return true
}

/// At most 4096 × 4096 pixels here (the defaults allow more; the limit logic is the same, the harness is faster).
private let fuzzImageLimits = ImageDecodeLimits(maxWidth: 1 << 14, maxHeight: 1 << 14, maxPixels: 1 << 24)

private func image(_ input: [UInt8], _ container: ImageContainer) throws -> Bool {
    guard ImageContainer.sniff(input) == container else { return false }
    _ = try? RGBImage.dimensions(of: input)
    let image = try RGBImage.decode(input, limits: fuzzImageLimits)
    precondition(image.pixels.count == image.width * image.height * 3)
    return true
}

private func tarShard(_ input: [UInt8]) throws -> Bool {
    let url = try scratchFile("shard.tar", input)
    let (members, _) = try TarIndex.members(of: url)
    for m in members {
        precondition(m.offset >= 0 && m.size >= 0 && m.offset + m.size <= input.count, "member outside the archive")
    }
    _ = try WebDatasetShards(paths: [url])
    return true
}

private func idx(_ input: [UInt8]) throws -> Bool {
    let file = try IDXFile(data: Data(input))
    precondition(file.shape.reduce(1, *) <= input.count)
    return true
}

private func captions(_ input: [UInt8]) throws -> Bool {
    _ = try? CaptionFiles.readCSV(try scratchFile("captions.csv", input))
    _ = try? CaptionFiles.readJSONL(try scratchFile("captions.jsonl", input))
    return true
}

private let clip: CLIPTokenizer = {
    do { return try CLIPTokenizer() } catch {
        fatalError("vtp-fuzz: the bundled tokenizer does not load: \(error)")
    }
}()

private func tokenizer(_ input: [UInt8]) throws -> Bool {
    let text = String(decoding: input, as: UTF8.self)
    let ids = clip.tokenize(text)
    precondition(ids.count == CLIPTokenizer.defaultContextLength)
    _ = clip.decode(clip.encode(text))
    return true
}

private func torch(_ input: [UInt8]) throws -> Bool {
    let checkpoint = try TorchCheckpoint(data: Data(input), file: "fuzz.pth")
    for (_, t) in checkpoint.tensors where t.bytes.count <= maxConvertedBytes { _ = t.floats }
    return true
}

private func npy(_ input: [UInt8]) throws -> Bool {
    let array = try NumPyArray.parse(input, file: "fuzz.npy")
    if array.bytes.count <= maxConvertedBytes { _ = array.floats }
    return true
}

private func npz(_ input: [UInt8]) throws -> Bool {
    let zip = try ZipArchive(data: Data(input), file: "fuzz.npz")
    for e in zip.entries {
        guard let bytes = try? zip.contents(of: e) else { continue }
        if e.name.hasSuffix(".npy") { _ = try? NumPyArray.parse(bytes, file: e.name) }
    }
    return true
}
