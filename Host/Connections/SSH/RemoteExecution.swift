import CSSH2
import Foundation
import OGBasics

/// Runs one command line on an exec channel of a session: writes standard
/// input then EOF, collects standard output and error while doing so (a
/// command that fills its output window before reading all its input would
/// otherwise deadlock), and reports the exit status.
struct RemoteExecution {
    let session: SSHSession
    let commandLine: String
    let standardInput: [UInt8]
    /// How the command is named in errors; never includes arguments, which may be secret.
    let label: String
    /// Bytes the command line writes to standard error, followed by the exit
    /// status and a newline, once its direct child has exited (see
    /// `ExitMarker`). nil for command lines that do not (Windows).
    var exitMarker: [UInt8]? = nil

    /// Thrown when the server will not open a channel for commands (for
    /// example an SFTP-only account); the connection stays usable.
    struct ChannelRefused: Error { let message: String }

    func run(timeout: Duration) throws -> CommandResult {
        let deadline = Deadline(timeout, operation: label)
        guard let channel = try session.callReturningPointer(deadline, {
            libssh2_channel_open_ex(session.raw, "session", 7, og_libssh2_channel_window_default(),
                                    og_libssh2_channel_packet_default(), nil, 0)
        }) else {
            let (code, message) = session.lastError
            if code == LIBSSH2_ERROR_CHANNEL_FAILURE { throw ChannelRefused(message: message) }
            throw session.failure("could not open a channel for \(label)")
        }
        var finished = false, startInFlight = true
        defer { if !finished { abandon(channel, startInFlight: startInFlight) } }

        let started = try session.call(deadline) { startCommand(channel) }
        startInFlight = false
        if started != 0 {
            let (code, message) = session.lastError
            if code == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED || code == LIBSSH2_ERROR_CHANNEL_FAILURE {
                throw ChannelRefused(message: message)
            }
            throw session.failure("the server did not start \(label)")
        }

        var output: [UInt8] = [], errors: [UInt8] = []
        var written = 0, eofSent = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        var markedStatus: Int32? = nil
        var outputMarked = false, errorStatus: Int32? = nil
        while markedStatus == nil {
            var progressed = false
            if written < standardInput.count {
                let count = standardInput.withUnsafeBytes { input in
                    libssh2_channel_write_ex(channel, 0, input.baseAddress!.assumingMemoryBound(to: CChar.self) + written,
                                             min(standardInput.count - written, 32768))
                }
                if count > 0 {
                    written += count
                    progressed = true
                } else if count != Int(LIBSSH2_ERROR_EAGAIN) {
                    // The command stopped reading (it exited or closed stdin): the rest has nowhere to go.
                    written = standardInput.count
                }
            } else if !eofSent {
                let result = libssh2_channel_send_eof(channel)
                if result != LIBSSH2_ERROR_EAGAIN {
                    eofSent = true
                    progressed = true
                }
            }
            for (stream, sink) in [(Int32(0), 0), (Int32(SSH_EXTENDED_DATA_STDERR), 1)] {
                let count = buffer.withUnsafeMutableBytes {
                    libssh2_channel_read_ex(channel, stream, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
                }
                if count > 0 {
                    if sink == 0 { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                    progressed = true
                    if let exitMarker {
                        // Both streams carry the marker: sshd forwards each in order but not
                        // the two in step, so output may still follow the status marker.
                        if sink == 0, !outputMarked {
                            outputMarked = ExitMarker.cut(exitMarker, from: &output, searchingFrom: output.count - count)
                        } else if sink == 1, errorStatus == nil {
                            errorStatus = ExitMarker.take(exitMarker, from: &errors, searchingFrom: errors.count - count)
                        }
                        if outputMarked, let errorStatus {
                            markedStatus = errorStatus
                            break
                        }
                    }
                } else if count < 0 && count != Int(LIBSSH2_ERROR_EAGAIN) {
                    throw session.failure("reading the output of \(label) failed")
                }
            }
            if markedStatus != nil { break }
            if progressed { continue }
            if eofSent && libssh2_channel_eof(channel) == 1 { break }
            try session.waitForSocket(deadline)
        }
        if let markedStatus {
            // The direct child has exited; a process it left behind may hold the
            // channel open for as long as it lives, so the command ends here.
            // Closing the channel makes sshd close its side of the pipes.
            _ = try session.call(deadline) { libssh2_channel_close(channel) }
            _ = try session.call(deadline) { libssh2_channel_wait_closed(channel) }
            _ = try session.call(deadline) { libssh2_channel_free(channel) }
            finished = true
            return CommandResult(exitStatus: markedStatus, standardOutput: output, standardError: errors)
        }

        _ = try session.call(deadline) { libssh2_channel_close(channel) }
        _ = try session.call(deadline) { libssh2_channel_wait_closed(channel) }
        var status = libssh2_channel_get_exit_status(channel)
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        if libssh2_channel_get_exit_signal(channel, &signal, &signalLength, nil, nil, nil, nil) == 0, let signal {
            status = -1
            libssh2_free(session.raw, signal)
        }
        _ = try session.call(deadline) { libssh2_channel_free(channel) }
        finished = true
        return CommandResult(exitStatus: status, standardOutput: output, standardError: errors)
    }

    private func startCommand(_ channel: OpaquePointer) -> Int32 {
        libssh2_channel_process_startup(channel, "exec", 4, commandLine, UInt32(commandLine.utf8.count))
    }

    /// Gives up on a command by closing its channel. The remote program is not
    /// killed: libssh2 1.10 can neither send the SSH "signal" request nor reuse
    /// a channel after exec. OpenSSH answers the close only once the program
    /// has exited, so a channel still unanswered after a short grace is left
    /// for libssh2 to release with the session instead of blocking it. Only a
    /// close that cannot even be sent marks the session unusable.
    private func abandon(_ channel: OpaquePointer, startInFlight: Bool) {
        if session.brokenReason != nil {
            _ = libssh2_channel_free(channel)
            return
        }
        let grace = Deadline(.seconds(2), operation: "closing the channel of \(label)")
        do {
            // libssh2 resumes an unfinished request on the next call: an exec
            // still in flight must complete before the close can be sent.
            if startInFlight { _ = try session.call(grace) { startCommand(channel) } }
            _ = try session.call(grace) { libssh2_channel_close(channel) }
            _ = try session.call(grace) { libssh2_channel_free(channel) }
        } catch {
            if libssh2_session_block_directions(session.raw) & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 {
                session.markBroken("the channel of \(label) could not be closed after it was abandoned")
            }
        }
    }
}

/// How a POSIX command line tells its direct child's exit apart from the end
/// of its output. sshd keeps a channel open until every process holding the
/// command's pipes has closed them, and libssh2 cannot say whether an
/// "exit-status" has arrived; so the command runs under `sh -c`, which, right
/// after the command exits, writes a random marker to standard output and the
/// marker plus the exit status to standard error. Seeing both ends the run;
/// the markers are removed from what the caller sees.
enum ExitMarker {
    /// A marker no command prints by accident: 128 random bits.
    static func make() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let nonce = Hex.bytes((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return Array("og-host-exit-\(nonce):".utf8)
    }

    /// `argv` run by `sh -c` so that the marker follows its standard output,
    /// and the marker plus exit status its standard error.
    static func wrap(_ argv: [String], marker: [UInt8]) -> [String] {
        let text = String(decoding: marker, as: UTF8.self)
        return ["sh", "-c", "\"$@\"; s=$?; printf '%s\\n' '\(text)'; printf '%s%d\\n' '\(text)' \"$s\" >&2; exit \"$s\"",
                "sh"] + argv
    }

    /// True once `output` holds the marker; `output` then keeps only what came before it.
    /// `start` is where new bytes begin (the marker may straddle two reads).
    static func cut(_ marker: [UInt8], from output: inout [UInt8], searchingFrom start: Int) -> Bool {
        guard let index = find(marker, in: output, from: start) else { return false }
        output.removeSubrange(index...)
        return true
    }

    /// The status once `errors` holds the marker, status and newline; `errors`
    /// then keeps only what came before the marker.
    static func take(_ marker: [UInt8], from errors: inout [UInt8], searchingFrom start: Int) -> Int32? {
        guard let index = find(marker, in: errors, from: start) else { return nil }
        let rest = errors[(index + marker.count)...]
        guard let newline = rest.firstIndex(of: 0x0A),
              let status = Int32(String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)) else { return nil }
        errors.removeSubrange(index...)
        return status
    }

    private static func find(_ marker: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var index = max(0, start - marker.count)
        while index + marker.count <= bytes.count {
            if bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker) { return index }
            index += 1
        }
        return nil
    }
}
