import Foundation
import VTPData
import VTPTensor

/// Writing the ADM evaluator's sample format: an uncompressed `.npz` (zip) holding `arr_0.npy`, uint8
/// [N, H, W, 3] in C order (what `np.savez(path, images)` writes).
public enum NumPyArchive {
    public static func writeImages(_ images: [RGBImage], to url: URL) throws {
        guard let first = images.first, images.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw GenerationError.invalidInput("samples.npz needs images of one size")
        }
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(images.count), \(first.height), \(first.width), 3), }"
        // NPY 1.0: magic, version, little-endian header length, header padded with spaces to a multiple of 64, newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        npy += le16(UInt16(header.utf8.count)) + Array(header.utf8)
        let bytes = images.count * first.width * first.height * 3
        guard bytes + npy.count < Int(UInt32.max) else {
            throw GenerationError.unsupported("samples.npz would exceed 4 GiB (\(images.count) images), which needs ZIP64; write fewer samples per file")
        }
        for img in images { npy += img.pixels }
        try AtomicFile.write(zipStored(name: "arr_0.npy", data: npy), to: url)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    /// A zip archive with one stored (uncompressed) entry.
    static func zipStored(name: String, data: [UInt8]) -> [UInt8] {
        let crc = crc32(data), size = UInt32(data.count), n = Array(name.utf8)
        let local = le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(size) + le32(size)
            + le16(UInt16(n.count)) + le16(0) + n
        let central = le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(size)
            + le32(size) + le16(UInt16(n.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(0) + n
        let end = le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(UInt32(central.count))
            + le32(UInt32(local.count + data.count)) + le16(0)
        return local + data + central + end
    }

    /// CRC-32 (zip's polynomial 0xEDB88320).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
