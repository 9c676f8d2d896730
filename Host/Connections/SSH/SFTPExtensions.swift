import CSSH2
import Foundation

/// OpenSSH's SFTP extensions that take two paths and answer a status:
/// `posix-rename@openssh.com`, rename(2) on the endpoint, the one atomic way
/// to replace an existing file over SFTP (protocol version 3's RENAME refuses
/// an existing target); and `hardlink@openssh.com`, link(2), which makes a
/// backup in one request (`SFTPFiles.link`).
///
/// libssh2 1.10 neither sends these extensions nor exposes SFTP extended
/// requests, so this speaks the three packets it needs itself, on an SFTP
/// channel of its own beside libssh2's: INIT → VERSION (which lists the
/// server's extensions), then per request EXTENDED → STATUS.
///
/// Why not `mv` on an exec channel: sshd runs every command through the
/// login's shell, and bash started by sshd reads ~/.bashrc; a heavy one
/// (pyenv, conda, nvm…) costs hundreds of milliseconds per command. On this
/// project's bench machine that was ~250 ms per file written, 90 % of a job.
/// The SFTP subsystem (internal-sftp) starts no shell; an external
/// sftp-server is started through the shell once per connection, not per write.
///
/// Not thread-safe: `SSHConnection` serialises all use.
final class SFTPExtensions {
    static let posixRename = "posix-rename@openssh.com"
    static let hardlink = "hardlink@openssh.com"
    static let known: Set<String> = [posixRename, hardlink]

    private let session: SSHSession
    private let channel: OpaquePointer
    private var nextRequestID: UInt32 = 1
    /// The known extensions the server listed.
    private(set) var offered: Set<String> = []

    /// Opens the channel and learns the server's extensions; nil when the
    /// server has no SFTP subsystem for a second channel or offers none of
    /// these (then the caller falls back to its other ways).
    static func open(session: SSHSession, deadline: Deadline) throws -> SFTPExtensions? {
        guard let channel = try session.callReturningPointer(deadline, {
            libssh2_channel_open_ex(session.raw, "session", 7, og_libssh2_channel_window_default(),
                                    og_libssh2_channel_packet_default(), nil, 0)
        }) else {
            let (code, _) = session.lastError
            if code == LIBSSH2_ERROR_CHANNEL_FAILURE { return nil }
            throw session.failure("could not open a second SFTP channel")
        }
        let renamer = SFTPExtensions(session: session, channel: channel)
        let started = try session.call(deadline) { libssh2_channel_process_startup(channel, "subsystem", 9, "sftp", 4) }
        guard started == 0 else {
            let (code, _) = session.lastError
            renamer.close()
            if code == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED || code == LIBSSH2_ERROR_CHANNEL_FAILURE { return nil }
            throw session.failure("could not start a second SFTP channel")
        }
        do {
            var initialise = SFTPPacketWriter(type: PacketType.initialise)
            initialise.append(UInt32(3))
            try renamer.send(initialise, deadline: deadline)
            var version = try renamer.receive(deadline: deadline)
            guard version.type == PacketType.version, (try? version.readUInt32()) != nil else {
                renamer.close()
                return nil
            }
            // The rest is (name, data) pairs, one per extension.
            while !version.isAtEnd {
                let name = String(decoding: try version.readString(), as: UTF8.self)
                _ = try version.readString()
                if known.contains(name) { renamer.offered.insert(name) }
            }
            if renamer.offered.isEmpty {
                renamer.close()
                return nil
            }
            return renamer
        } catch let malformed as MalformedPacket {
            renamer.close()
            throw session.failure("the SFTP server answered a second channel with a malformed packet (\(malformed.reason))")
        }
    }

    private init(session: SSHSession, channel: OpaquePointer) {
        self.session = session
        self.channel = channel
    }

    /// rename(2) of `source` to `target`: replaces `target` atomically if it exists.
    /// Returns the SFTP status code (0 for success).
    func rename(_ source: String, to target: String, deadline: Deadline) throws -> UInt32 {
        try request(Self.posixRename, source, target, deadline: deadline)
    }

    /// link(2): `target` becomes another name of `source`'s file; refused if `target` exists.
    /// Returns the SFTP status code (0 for success).
    func link(_ source: String, as target: String, deadline: Deadline) throws -> UInt32 {
        try request(Self.hardlink, source, target, deadline: deadline)
    }

    /// One extended request with two paths, and its status.
    private func request(_ name: String, _ source: String, _ target: String, deadline: Deadline) throws -> UInt32 {
        let id = nextRequestID
        nextRequestID &+= 1
        var request = SFTPPacketWriter(type: PacketType.extended)
        request.append(id)
        request.append(string: Array(name.utf8))
        request.append(string: Array(source.utf8))
        request.append(string: Array(target.utf8))
        try send(request, deadline: deadline)
        do {
            var reply = try receive(deadline: deadline)
            guard reply.type == PacketType.status, try reply.readUInt32() == id else {
                throw MalformedPacket(reason: "expected the status of request \(id), got packet type \(reply.type)")
            }
            return try reply.readUInt32()
        } catch let malformed as MalformedPacket {
            throw session.failure("the SFTP server answered \(name) with a malformed packet (\(malformed.reason))")
        }
    }

    /// Ends the channel; bounded, since the session may already be gone.
    func close() {
        guard session.brokenReason == nil else {
            _ = libssh2_channel_free(channel)
            return
        }
        let grace = Deadline(.seconds(2), operation: "closing the second SFTP channel")
        do {
            _ = try session.call(grace) { libssh2_channel_close(channel) }
            _ = try session.call(grace) { libssh2_channel_free(channel) }
        } catch {
            // Left for libssh2 to release with the session.
        }
    }

    // MARK: - Packets

    private enum PacketType {
        static let initialise: UInt8 = 1
        static let version: UInt8 = 2
        static let status: UInt8 = 101
        static let extended: UInt8 = 200
    }

    struct MalformedPacket: Error { let reason: String }

    /// Packets this channel expects are small; anything larger is not an answer to it.
    private static let largestPacket = 256 * 1024

    private func send(_ packet: SFTPPacketWriter, deadline: Deadline) throws {
        let bytes = packet.framed
        var offset = 0
        while offset < bytes.count {
            let count = try session.call(deadline) {
                bytes.withUnsafeBytes {
                    libssh2_channel_write_ex(channel, 0, $0.baseAddress!.assumingMemoryBound(to: CChar.self) + offset,
                                             bytes.count - offset)
                }
            }
            if count < 0 { throw session.failure("sending an SFTP request failed") }
            offset += count
        }
    }

    private func receive(deadline: Deadline) throws -> SFTPPacketReader {
        let header = try read(exactly: 4, deadline: deadline)
        let length = Int(header.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) })
        guard length >= 1, length <= Self.largestPacket else {
            throw MalformedPacket(reason: "a packet of \(length) bytes")
        }
        let body = try read(exactly: length, deadline: deadline)
        return SFTPPacketReader(type: body[0], payload: body[1...])
    }

    private func read(exactly count: Int, deadline: Deadline) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes {
                libssh2_channel_read_ex(channel, 0, $0.baseAddress!.assumingMemoryBound(to: CChar.self) + filled, count - filled)
            }
            if got > 0 {
                filled += got
            } else if got == Int(LIBSSH2_ERROR_EAGAIN) {
                try session.waitForSocket(deadline)
            } else if got == 0 && libssh2_channel_eof(channel) == 1 {
                throw session.failure("the SFTP server closed the second channel")
            } else if got < 0 {
                throw session.failure("reading an SFTP reply failed")
            } else {
                try session.waitForSocket(deadline)
            }
        }
        return bytes
    }
}

/// One SFTP packet being built: type, then fields in the protocol's encoding.
struct SFTPPacketWriter {
    private var bytes: [UInt8]

    init(type: UInt8) { bytes = [type] }

    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    mutating func append(string: [UInt8]) {
        append(UInt32(string.count))
        bytes += string
    }

    /// The packet with its length in front, as it goes on the wire.
    var framed: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 4)
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { result += $0 }
        return result + bytes
    }
}

/// The fields of one received SFTP packet, read in order.
struct SFTPPacketReader {
    let type: UInt8
    private var payload: ArraySlice<UInt8>

    init(type: UInt8, payload: ArraySlice<UInt8>) {
        self.type = type
        self.payload = payload
    }

    var isAtEnd: Bool { payload.isEmpty }

    mutating func readUInt32() throws -> UInt32 {
        guard payload.count >= 4 else { throw SFTPExtensions.MalformedPacket(reason: "a field ends early") }
        let value = payload.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        payload = payload.dropFirst(4)
        return value
    }

    mutating func readString() throws -> ArraySlice<UInt8> {
        let length = Int(try readUInt32())
        guard payload.count >= length else { throw SFTPExtensions.MalformedPacket(reason: "a string ends early") }
        let value = payload.prefix(length)
        payload = payload.dropFirst(length)
        return value
    }
}
