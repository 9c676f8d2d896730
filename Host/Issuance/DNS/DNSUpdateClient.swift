import Foundation

/// Talks to one authoritative DNS server over TCP: RFC 2136 dynamic updates
/// of TXT records signed with TSIG, and plain queries to see what it serves.
public final class DNSUpdateClient {
    public let host: String
    public let port: Int
    let key: TSIGKey
    public var timeout: TimeInterval = 10

    /// `server` is `HOST:PORT` (`[v6]:PORT`), or a host alone for port 53.
    public init(server: String, key: TSIGKey) throws {
        (host, port) = try Self.split(server)
        self.key = key
    }

    public var serverDescription: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The zone `name` belongs to, from the SOA the server names in its reply.
    public func zone(of name: String) throws -> String {
        let reply = try exchange(try query(name, type: DNSWire.typeSOA), signed: nil)
        if let soa = (reply.answers + reply.authority).first(where: { $0.type == DNSWire.typeSOA }) { return soa.name }
        throw IssuanceError.dns(server: serverDescription, problem: "is not authoritative for \(name) (no SOA in its reply, "
                                + "\(DNSReply.rcodeNames[reply.rcode] ?? "rcode \(reply.rcode)"))")
    }

    /// Adds (or, with `delete`, removes) one TXT record in `zone`.
    public func update(zone: String, name: String, txt value: String, ttl: UInt32 = 60, delete: Bool = false) throws {
        var message = DNSWire.u16(UInt16.random(in: 0...UInt16.max)) + DNSWire.u16(5 << 11)
            + DNSWire.u16(1) + DNSWire.u16(0) + DNSWire.u16(1) + DNSWire.u16(0)
        message += try DNSWire.name(zone) + DNSWire.u16(DNSWire.typeSOA) + DNSWire.u16(DNSWire.classIN)
        message += DNSWire.record(name: try DNSWire.name(name), type: DNSWire.typeTXT,
                                  class: delete ? DNSWire.classNONE : DNSWire.classIN, ttl: delete ? 0 : ttl,
                                  data: DNSWire.txtData(value))
        let (signed, mac) = try key.sign(message)
        let reply = try exchange(signed, signed: mac)
        guard reply.rcode == 0 else {
            let hint = reply.rcode == 9 || reply.rcode == 5
                ? " (check the TSIG key name, secret and algorithm, and the zone's allow-update / update-policy)" : ""
            throw IssuanceError.dns(server: serverDescription, problem: "refused the update of \(name) TXT: "
                                    + (DNSReply.rcodeNames[reply.rcode] ?? "rcode \(reply.rcode)") + hint)
        }
    }

    /// The TXT values the server answers for `name`.
    public func txtValues(_ name: String) throws -> [String] {
        try exchange(try query(name, type: DNSWire.typeTXT), signed: nil).txtValues(of: name.hasSuffix(".") ? String(name.dropLast()) : name)
    }

    private func query(_ name: String, type: UInt16) throws -> [UInt8] {
        DNSWire.u16(UInt16.random(in: 0...UInt16.max)) + DNSWire.u16(0) + DNSWire.u16(1) + DNSWire.u16(0)
            + DNSWire.u16(0) + DNSWire.u16(0) + (try DNSWire.name(name)) + DNSWire.u16(type) + DNSWire.u16(DNSWire.classIN)
    }

    /// One request and its reply over a fresh TCP connection (RFC 1035 §4.2.2 length prefix).
    private func exchange(_ message: [UInt8], signed requestMAC: [UInt8]?) throws -> DNSReply {
        let fd = try connect()
        defer { close(fd) }
        try sendAll(fd, DNSWire.u16(UInt16(message.count)) + message)
        let lengthBytes = try receive(fd, 2)
        let reply = try DNSReply(try receive(fd, Int(lengthBytes[0]) << 8 | Int(lengthBytes[1])))
        guard reply.id == UInt16(message[0]) << 8 | UInt16(message[1]) else {
            throw IssuanceError.dns(server: serverDescription, problem: "answered with another message ID")
        }
        if let requestMAC, reply.rcode == 0, let problem = try key.verify(reply, requestMAC: requestMAC) {
            throw IssuanceError.dns(server: serverDescription, problem: "the update's reply cannot be trusted: \(problem)")
        }
        return reply
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw IssuanceError.dns(server: serverDescription, problem: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if fd >= 0 {
                var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
                failure = String(cString: strerror(errno))
                close(fd)
            }
            entry = address.pointee.ai_next
        }
        throw IssuanceError.dns(server: serverDescription, problem: "cannot connect over TCP: \(failure)")
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else {
                throw IssuanceError.dns(server: serverDescription, problem: "sending failed: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
    }

    private func receive(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = buffer[received...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard got > 0 else {
                throw IssuanceError.dns(server: serverDescription, problem: got == 0 ? "closed the connection mid-reply"
                                        : "no reply within \(Int(timeout)) s (\(String(cString: strerror(errno))))")
            }
            received += got
        }
        return buffer
    }

    static func split(_ server: String) throws -> (String, Int) {
        var host = server
        var port = 53
        if server.hasPrefix("["), let close = server.firstIndex(of: "]") {
            host = String(server[server.index(after: server.startIndex)..<close])
            let rest = server[server.index(after: close)...]
            if rest.hasPrefix(":") { guard let value = Int(rest.dropFirst()) else { throw bad(server) }; port = value }
        } else if server.filter({ $0 == ":" }).count == 1, let colon = server.firstIndex(of: ":") {
            host = String(server[..<colon])
            guard let value = Int(server[server.index(after: colon)...]) else { throw bad(server) }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw bad(server) }
        return (host, port)
    }

    private static func bad(_ server: String) -> IssuanceError {
        .invalidArgument(field: "field `dns-server`", problem: "'\(server)' is not HOST:PORT (or HOST for port 53)")
    }
}

/// Answers dns-01 through RFC 2136: adds `_acme-challenge.NAME TXT` on the
/// primary server with a TSIG-signed update, waits until that server answers
/// with the value, and deletes exactly that record afterwards.
public final class DNS01UpdateSolver: ChallengeSolver {
    public let challengeType = "dns-01"
    let client: DNSUpdateClient
    let zoneOverride: String?
    let visibilityLimit: TimeInterval
    private var zones: [String: String] = [:]

    public init(client: DNSUpdateClient, zone: String? = nil, visibilityLimit: TimeInterval = 60) {
        self.client = client
        zoneOverride = zone
        self.visibilityLimit = visibilityLimit
    }

    public func present(identifier: String, token: String, keyAuthorization: String) throws {
        let name = DNS01.recordName(for: identifier)
        let value = DNS01.recordValue(keyAuthorization: keyAuthorization)
        let zone = try zoneOverride ?? client.zone(of: name)
        zones[name] = zone
        try client.update(zone: zone, name: name, txt: value)
        let deadline = Date().addingTimeInterval(visibilityLimit)
        while !(try client.txtValues(name)).contains(value) {
            guard Date() < deadline else {
                throw IssuanceError.challenge(identifier: identifier, type: challengeType, reason: "the server accepted the "
                                              + "update but did not answer with the TXT record within \(Int(visibilityLimit)) s")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    public func cleanUp(identifier: String, token: String, keyAuthorization: String) -> String? {
        let name = DNS01.recordName(for: identifier)
        do {
            let zone = try zones[name] ?? zoneOverride ?? client.zone(of: name)
            try client.update(zone: zone, name: name, txt: DNS01.recordValue(keyAuthorization: keyAuthorization), delete: true)
            return nil
        } catch {
            return "could not remove \(name) TXT from \(client.serverDescription): \(error); remove it by hand"
        }
    }
}
