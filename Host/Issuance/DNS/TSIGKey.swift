import Foundation
import OGMaterial

/// A TSIG key (RFC 8945) as BIND's `tsig-keygen` writes it: a name, an HMAC
/// algorithm and a base64 secret. Signs requests and verifies signed replies.
public struct TSIGKey: Sendable, CustomStringConvertible {
    public let name: String
    /// hmac-sha256 (default), hmac-sha384 or hmac-sha512.
    public let algorithm: String
    let secret: [UInt8]

    public static let algorithms = ["hmac-sha256": "SHA256", "hmac-sha384": "SHA384", "hmac-sha512": "SHA512"]

    public init(name: String, algorithm: String = "hmac-sha256", base64Secret: String) throws {
        guard Self.algorithms[algorithm.lowercased()] != nil else {
            throw IssuanceError.invalidArgument(field: "field `tsig-algorithm`",
                                                problem: "'\(algorithm)' is not one of \(Self.algorithms.keys.sorted().joined(separator: ", "))")
        }
        guard let secret = Data(base64Encoded: base64Secret.trimmingCharacters(in: .whitespacesAndNewlines)), !secret.isEmpty else {
            throw IssuanceError.invalidArgument(field: "field `tsig-secret`", problem: "is not base64 (give the secret from the key file)")
        }
        _ = try DNSWire.name(name)
        self.name = name
        self.algorithm = algorithm.lowercased()
        self.secret = Array(secret)
    }

    public var description: String { "TSIG key \(name) (\(algorithm))" }

    /// `message` (ARCOUNT not yet counting the TSIG record) with a TSIG record appended; returns it and the MAC.
    func sign(_ message: [UInt8], time: Date = Date(), fudge: UInt16 = 300) throws -> (message: [UInt8], mac: [UInt8]) {
        let keyName = try DNSWire.name(name)
        let algorithmName = try DNSWire.name(algorithm)
        let timeSigned = timeBytes(time)
        let variables = keyName + DNSWire.u16(DNSWire.classANY) + DNSWire.u32(0) + algorithmName + timeSigned
            + DNSWire.u16(fudge) + DNSWire.u16(0) + DNSWire.u16(0)
        let mac = try hmac(message + variables)
        let originalID = Array(message.prefix(2))
        let data = algorithmName + timeSigned + DNSWire.u16(fudge) + DNSWire.u16(UInt16(mac.count)) + mac + originalID
            + DNSWire.u16(0) + DNSWire.u16(0)
        var signed = message
        let arcount = (UInt16(signed[10]) << 8 | UInt16(signed[11])) + 1
        signed[10] = UInt8(arcount >> 8)
        signed[11] = UInt8(arcount & 0xff)
        signed += DNSWire.record(name: keyName, type: DNSWire.typeTSIG, class: DNSWire.classANY, ttl: 0, data: data)
        return (signed, mac)
    }

    /// Checks the TSIG record a server appended to its reply to a request signed with `requestMAC`.
    /// Returns nil when it verifies, else the problem.
    func verify(_ reply: DNSReply, requestMAC: [UInt8]) throws -> String? {
        guard let tsig = reply.additional.last, tsig.type == DNSWire.typeTSIG else { return "the reply is not TSIG-signed" }
        var offset = tsig.dataOffset
        let algorithmName = try DNSReply.readName(reply.bytes, &offset)
        let data = reply.bytes
        guard offset + 10 <= data.count else { return "its TSIG record is truncated" }
        let timeSigned = Array(data[offset..<offset + 6])
        let fudge = Array(data[offset + 6..<offset + 8])
        let macSize = Int(data[offset + 8]) << 8 | Int(data[offset + 9])
        offset += 10
        guard offset + macSize + 6 <= data.count else { return "its TSIG record is truncated" }
        let mac = Array(data[offset..<offset + macSize])
        offset += macSize
        let originalID = Array(data[offset..<offset + 2])
        let error = Array(data[offset + 2..<offset + 4])
        let otherLength = Int(data[offset + 4]) << 8 | Int(data[offset + 5])
        let other = Array(data[offset + 6..<min(data.count, offset + 6 + otherLength)])
        let errorCode = Int(error[0]) << 8 | Int(error[1])
        if errorCode != 0 {
            return ["16": "BADSIG", "17": "BADKEY", "18": "BADTIME"]["\(errorCode)"].map { "the server says \($0)" }
                ?? "TSIG error \(errorCode)"
        }
        // The reply as it was before the server added its TSIG record (RFC 8945 §5.3.1).
        let recordStart = tsig.dataOffset - 10 - (try DNSWire.name(name)).count
        guard recordStart > 12, recordStart <= data.count else { return "its TSIG record is not where it should be" }
        var unsigned = Array(data[0..<recordStart])
        unsigned[0] = originalID[0]
        unsigned[1] = originalID[1]
        let arcount = (UInt16(unsigned[10]) << 8 | UInt16(unsigned[11])) - 1
        unsigned[10] = UInt8(arcount >> 8)
        unsigned[11] = UInt8(arcount & 0xff)
        let variables = (try DNSWire.name(name)) + DNSWire.u16(DNSWire.classANY) + DNSWire.u32(0)
            + (try DNSWire.name(algorithmName)) + timeSigned + fudge + error + DNSWire.u16(UInt16(otherLength)) + other
        let expected = try hmac(DNSWire.u16(UInt16(requestMAC.count)) + requestMAC + unsigned + variables)
        return expected == mac ? nil : "the reply's TSIG signature does not verify"
    }

    private func hmac(_ data: [UInt8]) throws -> [UInt8] {
        do {
            return try MessageAuthentication.hmac(Self.algorithms[algorithm]!, key: secret, data: data)
        } catch {
            throw IssuanceError.invalidArgument(field: "field `tsig-secret`", problem: "cannot be used: \(error)")
        }
    }

    private func timeBytes(_ time: Date) -> [UInt8] {
        let seconds = UInt64(max(0, time.timeIntervalSince1970))
        return (0..<6).reversed().map { UInt8(seconds >> (UInt64($0) * 8) & 0xff) }
    }
}
