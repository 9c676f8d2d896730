import Foundation
import OGMaterial

/// What a child og-host reads on standard input for one job: the `JobSpec` as
/// one line of JSON, then — only when the spec says `materialOnInput` — the
/// install material the parent read from the operator's files (`tls install
/// --cert/--key/--chain`, a key passphrase already applied):
///
///     "OGJM1\n" count(u32) { length(u32) bytes }*count     (big-endian)
///
/// the first piece the key as unencrypted PKCS#8 DER (as OpenSSL's encoder writes it), the second the leaf's
/// DER, the rest the intermediates' DER, leaf-side first. The key thus travels
/// only over the pipe between the two processes — never in argv, the
/// environment, the spec's JSON, a log or a file — and both sides wipe their
/// copies once the key is parsed. A managed certificate stays a reference
/// (`certificateID`): the child unseals it from the vault itself.
public enum JobInput {
    static let magic = Array("OGJM1\n".utf8)
    /// More pieces or bytes than any real chain has means a garbled input.
    static let maxPieces = 16
    static let maxPieceBytes = 1 << 20

    /// The bytes a launcher writes to the child: the spec, then `material` when given.
    static func encode(_ spec: JobSpec, material: InstallMaterial?) throws -> [UInt8] {
        var bytes = Array(try JobWire.encoder().encode(spec))
        bytes.append(0x0a)
        guard let material else { return bytes }
        var key = try material.key.pkcs8DER()
        defer { SecureMemory.wipe(&key) }
        let pieces = [material.leaf.der] + material.intermediates.map(\.der)
        bytes += magic
        append(UInt32(pieces.count + 1), to: &bytes)
        append(UInt32(key.count), to: &bytes)
        bytes += key
        for piece in pieces {
            append(UInt32(piece.count), to: &bytes)
            bytes += piece
        }
        return bytes
    }

    /// The spec and, when it says so, the material after it. Refuses a
    /// garbled input naming what is wrong; `bytes` are wiped.
    public static func decode(_ bytes: inout [UInt8]) throws -> (JobSpec, InstallMaterial?) {
        defer { SecureMemory.wipe(&bytes) }
        let end = bytes.firstIndex(of: 0x0a) ?? bytes.endIndex
        let spec = try JobWire.decodeSpec(Array(bytes[..<end]))
        let rest = end < bytes.endIndex ? bytes[(end + 1)...] : []
        guard spec.materialOnInput else {
            guard rest.allSatisfy({ $0 == 0x0a || $0 == 0x20 }) else {
                throw GatewayError.badInput("the job spec is followed by other input, but it does not say materialOnInput")
            }
            return (spec, nil)
        }
        var reader = Reader(bytes: rest)
        guard reader.take(magic.count).map(Array.init) == magic else {
            throw GatewayError.badInput("the job spec says materialOnInput, but no material follows it")
        }
        guard let count = reader.u32(), count >= 2, count <= maxPieces else {
            throw GatewayError.badInput("the job's material holds no key and certificate")
        }
        var pieces: [[UInt8]] = []
        defer { for index in pieces.indices { SecureMemory.wipe(&pieces[index]) } }
        for _ in 0..<count {
            guard let length = reader.u32(), length <= maxPieceBytes, let piece = reader.take(Int(length)) else {
                throw GatewayError.badInput("the job's material is truncated")
            }
            pieces.append(Array(piece))
        }
        guard reader.isAtEnd else { throw GatewayError.badInput("the job's material is followed by other input") }
        do {
            // The parent's pkcs8DER() wrote these bytes: the key keeps them, and writing it into a keystore
            // or a PEM file needs no second run of OpenSSL's encoder.
            let key = try PrivateKey(pkcs8WrittenByOpenSSL: pieces[0], what: "the job's key")
            let leaf = try Certificate(der: pieces[1], what: "the job's certificate")
            let intermediates = try pieces.dropFirst(2).map { try Certificate(der: $0, what: "the job's chain") }
            return (spec, InstallMaterial(key: key, leaf: leaf, intermediates: intermediates, certificateID: nil))
        } catch {
            throw GatewayError.badInput("the job's material cannot be read: \(error)")
        }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        var isAtEnd: Bool { position == bytes.endIndex }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.endIndex - position >= count else { return nil }
            defer { position += count }
            return bytes[position..<(position + count)]
        }

        mutating func u32() -> UInt32? {
            guard let four = take(4) else { return nil }
            return four.reduce(0) { $0 << 8 | UInt32($1) }
        }
    }
}
