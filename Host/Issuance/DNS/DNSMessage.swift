import Foundation

/// Just enough of the DNS wire format (RFC 1035) for RFC 2136 updates of TXT
/// records, TSIG (RFC 8945) and checking an answer: names are written
/// uncompressed, and read with compression pointers followed.
enum DNSWire {
    static let typeA: UInt16 = 1, typeSOA: UInt16 = 6, typeTXT: UInt16 = 16, typeTSIG: UInt16 = 250
    static let classIN: UInt16 = 1, classNONE: UInt16 = 254, classANY: UInt16 = 255

    /// A domain name in canonical (lowercase, uncompressed) wire form.
    static func name(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        if !trimmed.isEmpty {
            for label in trimmed.lowercased().split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard (1...63).contains(bytes.count) else {
                    throw IssuanceError.invalidArgument(field: "DNS name", problem: "'\(text)' has an empty or over-long label")
                }
                out.append(UInt8(bytes.count))
                out += bytes
            }
        }
        out.append(0)
        guard out.count <= 255 else { throw IssuanceError.invalidArgument(field: "DNS name", problem: "'\(text)' is too long") }
        return out
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value >> 16)) + u16(UInt16(value & 0xffff)) }

    /// TXT RDATA: the value split into character-strings of at most 255 bytes.
    static func txtData(_ value: String) -> [UInt8] {
        var bytes = Array(value.utf8)
        var out: [UInt8] = []
        repeat {
            let chunk = bytes.prefix(255)
            out.append(UInt8(chunk.count))
            out += chunk
            bytes.removeFirst(chunk.count)
        } while !bytes.isEmpty
        return out
    }

    static func record(name: [UInt8], type: UInt16, class recordClass: UInt16, ttl: UInt32, data: [UInt8]) -> [UInt8] {
        name + u16(type) + u16(recordClass) + u32(ttl) + u16(UInt16(data.count)) + data
    }
}

/// A DNS reply, parsed.
struct DNSReply {
    struct Record {
        var name: String
        var type: UInt16
        var recordClass: UInt16
        var data: [UInt8]
        /// Offset of the RDATA in the message, for names inside it.
        var dataOffset: Int
    }

    let id: UInt16
    let rcode: Int
    let answers: [Record]
    let authority: [Record]
    let additional: [Record]
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 12 else { throw Self.malformed("shorter than a header") }
        id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        rcode = Int(bytes[3] & 0x0f)
        func count(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        var offset = 12
        for _ in 0..<count(4) {
            _ = try Self.readName(bytes, &offset)
            offset += 4
        }
        func records(_ n: Int) throws -> [Record] {
            var list: [Record] = []
            for _ in 0..<n {
                let name = try Self.readName(bytes, &offset)
                guard offset + 10 <= bytes.count else { throw Self.malformed("a record runs past the end") }
                let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
                let recordClass = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
                let length = Int(bytes[offset + 8]) << 8 | Int(bytes[offset + 9])
                offset += 10
                guard offset + length <= bytes.count else { throw Self.malformed("a record's data runs past the end") }
                list.append(Record(name: name, type: type, recordClass: recordClass,
                                   data: Array(bytes[offset..<offset + length]), dataOffset: offset))
                offset += length
            }
            return list
        }
        answers = try records(count(6))
        authority = try records(count(8))
        additional = try records(count(10))
    }

    /// The TXT strings of every answer for `name`, each record's character-strings joined.
    func txtValues(of name: String) -> [String] {
        answers.filter { $0.type == DNSWire.typeTXT && $0.name.lowercased() == name.lowercased() }.map { record in
            var text: [UInt8] = []
            var index = 0
            while index < record.data.count {
                let length = Int(record.data[index])
                text += record.data[min(index + 1, record.data.count)..<min(index + 1 + length, record.data.count)]
                index += 1 + length
            }
            return String(decoding: text, as: UTF8.self)
        }
    }

    static func readName(_ bytes: [UInt8], _ offset: inout Int) throws -> String {
        var labels: [String] = []
        var position = offset
        var jumped = false
        var jumps = 0
        while true {
            guard position < bytes.count else { throw malformed("a name runs past the end") }
            let length = Int(bytes[position])
            if length & 0xc0 == 0xc0 {
                guard position + 1 < bytes.count, jumps < 32 else { throw malformed("a compression pointer loops") }
                if !jumped { offset = position + 2 }
                position = (length & 0x3f) << 8 | Int(bytes[position + 1])
                jumped = true
                jumps += 1
                continue
            }
            if length == 0 {
                if !jumped { offset = position + 1 }
                break
            }
            guard position + 1 + length <= bytes.count else { throw malformed("a label runs past the end") }
            labels.append(String(decoding: bytes[position + 1..<position + 1 + length], as: UTF8.self))
            position += 1 + length
        }
        return labels.joined(separator: ".")
    }

    static func malformed(_ problem: String) -> IssuanceError {
        .protocolViolation(url: "dns", problem: "malformed DNS reply: \(problem)")
    }

    static let rcodeNames = [0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
                             6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"]
}
