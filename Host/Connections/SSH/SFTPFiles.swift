import CSSH2
import OGBasics
import Foundation

/// File operations over the session's one SFTP channel.
///
/// Not thread-safe: `SSHConnection` serialises all use.
final class SFTPFiles {
    private let session: SSHSession
    private let sftp: OpaquePointer
    private let user: String
    private let timeout: Duration
    /// rename(2) and link(2) over a second SFTP channel, opened at the first
    /// use; `extensionsChecked` once the server was asked what it offers.
    private var extensions: SFTPExtensions?
    private var extensionsChecked = false

    init(session: SSHSession, user: String, timeout: Duration) throws {
        let deadline = Deadline(timeout, operation: "starting SFTP on \(session.host):\(session.port)")
        guard let sftp = try session.callReturningPointer(deadline, { libssh2_sftp_init(session.raw) }) else {
            let (code, message) = session.lastError
            if code == LIBSSH2_ERROR_CHANNEL_FAILURE || code == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED
                || code == LIBSSH2_ERROR_SOCKET_TIMEOUT {
                throw ConnectionError.notSupported(
                    "\(session.host):\(session.port): the server has no SFTP subsystem (\(message)); enable 'Subsystem sftp' in its sshd_config")
            }
            throw session.failure("could not start SFTP")
        }
        self.session = session
        self.sftp = sftp
        self.user = user
        self.timeout = timeout
    }

    /// Ends the SFTP channel; bounded, since the session may already be gone.
    func shutdown() {
        extensions?.close()
        extensions = nil
        let grace = Deadline(.seconds(2), operation: "closing SFTP")
        if (try? session.call(grace, { libssh2_sftp_shutdown(sftp) })) == nil {
            session.markBroken("SFTP could not be shut down")
        }
    }

    // MARK: - Reading

    /// Reads a whole remote regular file, at most `limit.bytes` long.
    ///
    /// The file is examined first: a FIFO or device (`/dev/zero` reached through
    /// an include) is refused before it is opened, and the read buffer fits the
    /// file, so a sub-kilobyte certificate costs one read request, not hundreds.
    func read(_ path: String, limit: LocalFiles.ReadLimit = .document) throws -> [UInt8] {
        let info = try status(path, follow: true)
        switch info.type {
        case .missing: throw ConnectionError.notFound(path: path)
        case .directory: throw ConnectionError.io(path: path, reason: "is a directory, not a file")
        case .regular: break
        case .symlink, .other:
            throw ConnectionError.io(path: path, reason: "is not a regular file (a FIFO, device or socket); give the path of a file")
        }
        guard info.size <= UInt64(limit.bytes) else { throw Self.tooLarge(path, limit) }
        let deadline = Deadline(timeout, operation: "reading \(path)")
        let handle = try open(path, flags: UInt(LIBSSH2_FXF_READ), mode: 0, kind: LIBSSH2_SFTP_OPENFILE, deadline: deadline)
        defer { closeQuietly(handle) }
        var contents: [UInt8] = []
        contents.reserveCapacity(Int(info.size))
        // One byte more than the size seen, so end-of-file arrives with the data.
        var buffer = [UInt8](repeating: 0, count: min(1 << 20, max(4096, Int(info.size) + 1)))
        while true {
            let count = try session.call(deadline) {
                buffer.withUnsafeMutableBytes {
                    libssh2_sftp_read(handle, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
                }
            }
            if count == 0 { break }
            if count < 0 { throw error(Int32(count), path: path, action: "read") }
            // The file may grow while it is read.
            guard contents.count + count <= limit.bytes else { throw Self.tooLarge(path, limit) }
            contents += buffer[0..<count]
        }
        return contents
    }

    static func tooLarge(_ path: String, _ limit: LocalFiles.ReadLimit) -> ConnectionError {
        .io(path: path, reason: limit.refusal)
    }

    /// `follow: false` is lstat.
    func status(_ path: String, follow: Bool) throws -> FileStatus {
        try status(path, follow: follow, deadline: Deadline(timeout, operation: "examining \(path)"))
    }

    /// One request and its answer: proves the session and this channel still work.
    func proveAlive(within limit: Duration) throws {
        let deadline = Deadline(min(limit, timeout), operation: "checking that the SFTP channel to \(session.host):\(session.port) still works")
        guard try status(".", follow: true, deadline: deadline).type == .directory else {
            throw ConnectionError.io(path: ".", reason: "the login's directory is not a directory")
        }
    }

    private func status(_ path: String, follow: Bool, deadline: Deadline) throws -> FileStatus {
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        let result = try session.call(deadline) {
            libssh2_sftp_stat_ex(sftp, path, UInt32(path.utf8.count), follow ? LIBSSH2_SFTP_STAT : LIBSSH2_SFTP_LSTAT, &attributes)
        }
        if result != 0 {
            if isMissing(result) { return .missing }
            throw error(result, path: path, action: "examine")
        }
        return Self.fileStatus(attributes)
    }

    func list(_ path: String) throws -> [String] {
        let deadline = Deadline(timeout, operation: "listing \(path)")
        let handle = try open(path, flags: 0, mode: 0, kind: LIBSSH2_SFTP_OPENDIR, deadline: deadline)
        defer { closeQuietly(handle) }
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            let count = try session.call(deadline) {
                buffer.withUnsafeMutableBytes {
                    libssh2_sftp_readdir_ex(handle, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count, nil, 0, &attributes)
                }
            }
            if count == 0 { break }
            if count < 0 { throw error(count, path: path, action: "list") }
            let name = String(decoding: buffer[0..<Int(count)], as: UTF8.self)
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    // MARK: - Changing

    func makeDirectory(_ path: String, mode: UInt32) throws {
        let deadline = Deadline(timeout, operation: "creating directory \(path)")
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            let current = prefix.hasPrefix("./") ? String(prefix.dropFirst(2)) : prefix
            switch try status(current, follow: true).type {
            case .directory: continue
            case .missing: break
            default: throw ConnectionError.io(path: current, reason: "exists and is not a directory")
            }
            let result = try session.call(deadline) {
                libssh2_sftp_mkdir_ex(sftp, current, UInt32(current.utf8.count), Int(mode))
            }
            // Someone else may have created it meanwhile; only a directory will do.
            if result != 0, try status(current, follow: true).type != .directory {
                throw error(result, path: current, action: "create directory")
            }
        }
    }

    /// Removes a file or symlink (unlink) or an empty directory (rmdir).
    /// Most removals are of files (backups, temporaries), so unlink is tried
    /// first and the path is examined only when it fails: one round trip
    /// instead of two. unlink(2) never removes a directory, so the outcome is
    /// that of examining first.
    func remove(_ path: String) throws {
        let deadline = Deadline(timeout, operation: "removing \(path)")
        let unlinked = try session.call(deadline) { libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count)) }
        if unlinked == 0 { return }
        guard unlinked == LIBSSH2_ERROR_SFTP_PROTOCOL else { throw error(unlinked, path: path, action: "remove") }
        let refusal = lastStatus
        switch try status(path, follow: false).type {
        case .missing:
            throw ConnectionError.notFound(path: path)
        case .directory:
            let result = try session.call(deadline) { libssh2_sftp_rmdir_ex(sftp, path, UInt32(path.utf8.count)) }
            if result != 0 { throw error(result, path: path, action: "remove directory") }
        default:
            throw error(status: refusal, path: path, action: "remove")
        }
    }

    /// Writes `contents` to a hidden temporary file beside `path`, flushes it,
    /// gives it the final mode and owner, and renames it over `path`. When a
    /// file is already there, that rename is rename(2) through the server's
    /// posix-rename extension, else `replaceExisting`; it returns false when it
    /// cannot either (then remove-and-rename is used).
    func writeAtomically(_ path: String, contents: [UInt8], mode: UInt32?,
                         replaceExisting: (_ temporary: String, _ target: String) throws -> Bool) throws {
        let deadline = Deadline(timeout, operation: "writing \(path)")
        let existing = try status(path, follow: true)
        if existing.type == .directory {
            throw ConnectionError.io(path: path, reason: "is a directory; give the path of a file inside it")
        }
        let temporary = Self.temporaryPath(for: path)
        let handle: OpaquePointer
        do {
            // 0600 until complete, so no one reads a half-written secret.
            handle = try open(temporary, flags: UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL),
                              mode: 0o600, kind: LIBSSH2_SFTP_OPENFILE, deadline: deadline, reportAs: path)
        } catch ConnectionError.notFound {
            throw ConnectionError.io(path: path, reason: "its directory does not exist; create it first")
        }
        var handleOpen = true, committed = false
        defer {
            if handleOpen { closeQuietly(handle) }
            if !committed && session.brokenReason == nil {
                _ = try? session.call(Deadline(.seconds(5), operation: "removing \(temporary)")) {
                    libssh2_sftp_unlink_ex(sftp, temporary, UInt32(temporary.utf8.count))
                }
            }
        }

        var offset = 0
        while offset < contents.count {
            let count = try session.call(deadline) {
                contents.withUnsafeBytes {
                    libssh2_sftp_write(handle, $0.baseAddress!.assumingMemoryBound(to: CChar.self) + offset,
                                       min(contents.count - offset, 1 << 20))
                }
            }
            if count < 0 { throw error(Int32(count), path: path, action: "write") }
            offset += count
        }
        let synced = try session.call(deadline) { libssh2_sftp_fsync(handle) }
        // fsync@openssh.com is an extension; a server without it still gets the rename.
        if synced != 0 && !(synced == LIBSSH2_ERROR_SFTP_PROTOCOL && lastStatus == LIBSSH2_FX_OP_UNSUPPORTED) {
            throw error(synced, path: path, action: "flush")
        }
        if existing.exists {
            // Only root (or the owner, for its own groups) may do this; like a local write, keeping ownership is best effort.
            // It goes first because a change of owner clears set-id bits.
            var owner = LIBSSH2_SFTP_ATTRIBUTES()
            owner.flags = UInt(LIBSSH2_SFTP_ATTR_UIDGID)
            owner.uid = UInt(existing.uid)
            owner.gid = UInt(existing.gid)
            _ = try session.call(deadline) { libssh2_sftp_fstat_ex(handle, &owner, 1) }
        }
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        attributes.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
        attributes.permissions = UInt(existing.exists ? existing.mode : (mode ?? 0o644))
        let chmodded = try session.call(deadline) { libssh2_sftp_fstat_ex(handle, &attributes, 1) }
        if chmodded != 0 { throw error(chmodded, path: path, action: "set the mode of") }
        handleOpen = false
        let closed = try session.call(deadline) { libssh2_sftp_close_handle(handle) }
        if closed != 0 { throw error(closed, path: path, action: "finish writing") }
        FaultPoints.reach("temporary of \(path) complete")

        if !existing.exists {
            // A plain SFTP rename never replaces a file, so it is atomic and safe here.
            let renamed = try rename(temporary, to: path, deadline: deadline)
            if renamed == 0 {
                committed = true
                return
            }
            guard try status(path, follow: false).exists else { throw error(renamed, path: path, action: "rename into place") }
        }
        if try replaceWithPosixRename(temporary, path, deadline: deadline) || replaceExisting(temporary, path) {
            committed = true
            return
        }
        // No atomic replacement is available on this server: remove, then rename.
        let removed = try session.call(deadline) { libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count)) }
        if removed != 0 && !isMissing(removed) { throw error(removed, path: path, action: "replace") }
        let renamed = try rename(temporary, to: path, deadline: deadline)
        if renamed != 0 { throw error(renamed, path: path, action: "rename into place") }
        committed = true
    }

    // MARK: - Helpers

    /// The server's extension channel, opened at the first use; nil when it offers none.
    private func extensionChannel(_ deadline: Deadline) throws -> SFTPExtensions? {
        if !extensionsChecked {
            extensionsChecked = true
            extensions = try SFTPExtensions.open(session: session, deadline: deadline)
        }
        return extensions
    }

    /// Makes `backup` a hard link to the regular file `path` (link(2) through
    /// hardlink@openssh.com): in one request, a backup that is the old file
    /// itself, complete, with its owner and mode. It stays as it is because
    /// og-host never writes a file in place over SSH: every write renames a
    /// new file over the old name, which leaves the old inode to the link.
    /// False when the server does not offer the request or refuses it (another
    /// filesystem's rules, fs.protected_hardlinks, an existing `backup`): the
    /// caller then writes a copy.
    func link(_ path: String, as backup: String) throws -> Bool {
        let deadline = Deadline(timeout, operation: "backing up \(path)")
        guard let extensions = try extensionChannel(deadline), extensions.offered.contains(SFTPExtensions.hardlink) else {
            return false
        }
        return try extensions.link(path, as: backup, deadline: deadline) == UInt32(LIBSSH2_FX_OK)
    }

    /// Renames `temporary` over `target` with the server's rename(2)
    /// (`SFTPExtensions`); false when the server does not offer it or
    /// refuses it. A refusal (PERMISSION_DENIED) is also what a server that
    /// bans the request (`sftp-server -P`) answers, so the caller's other way
    /// is tried then; it reports the real reason if the rename is impossible.
    private func replaceWithPosixRename(_ temporary: String, _ target: String, deadline: Deadline) throws -> Bool {
        guard let extensions = try extensionChannel(deadline), extensions.offered.contains(SFTPExtensions.posixRename) else {
            return false
        }
        let status = UInt(try extensions.rename(temporary, to: target, deadline: deadline))
        switch status {
        case UInt(LIBSSH2_FX_OK): return true
        case UInt(LIBSSH2_FX_PERMISSION_DENIED), UInt(LIBSSH2_FX_OP_UNSUPPORTED): return false
        default: throw error(status: status, path: target, action: "replace")
        }
    }

    private func rename(_ source: String, to target: String, deadline: Deadline) throws -> Int32 {
        try session.call(deadline) {
            libssh2_sftp_rename_ex(sftp, source, UInt32(source.utf8.count), target, UInt32(target.utf8.count),
                                   Int(LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE))
        }
    }

    private func open(_ path: String, flags: UInt, mode: Int, kind: Int32, deadline: Deadline,
                      reportAs: String? = nil) throws -> OpaquePointer {
        guard let handle = try session.callReturningPointer(deadline, {
            libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, mode, kind)
        }) else {
            let reported = reportAs ?? path
            if kind == LIBSSH2_SFTP_OPENDIR, try status(path, follow: true).type == .regular {
                throw ConnectionError.io(path: path, reason: "is not a directory")
            }
            throw error(session.lastError.code, path: reported, action: kind == LIBSSH2_SFTP_OPENDIR ? "list" : "open")
        }
        return handle
    }

    private func closeQuietly(_ handle: OpaquePointer) {
        guard session.brokenReason == nil else { return }
        _ = try? session.call(Deadline(.seconds(5), operation: "closing an SFTP handle")) { libssh2_sftp_close_handle(handle) }
    }

    private var lastStatus: UInt { libssh2_sftp_last_error(sftp) }

    private func isMissing(_ result: Int32) -> Bool {
        result == LIBSSH2_ERROR_SFTP_PROTOCOL && (lastStatus == LIBSSH2_FX_NO_SUCH_FILE || lastStatus == LIBSSH2_FX_NO_SUCH_PATH)
    }

    /// Turns a failed libssh2 result into a `ConnectionError`: an SFTP status
    /// names the file problem; anything else means the transport broke.
    private func error(_ result: Int32, path: String, action: String) -> ConnectionError {
        guard result == LIBSSH2_ERROR_SFTP_PROTOCOL else {
            return session.failure("connection lost while trying to \(action) \(path)")
        }
        return error(status: lastStatus, path: path, action: action)
    }

    /// Names the file problem an SFTP status code reports.
    private func error(status: UInt, path: String, action: String) -> ConnectionError {
        switch status {
        case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH:
            return .notFound(path: path)
        case LIBSSH2_FX_PERMISSION_DENIED, LIBSSH2_FX_WRITE_PROTECT:
            return .io(path: path, reason: "permission denied to \(action) it as \(user); grant access or use a privileged account")
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM, LIBSSH2_FX_QUOTA_EXCEEDED:
            return .io(path: path, reason: "no space left to \(action) it; free space on the endpoint")
        case LIBSSH2_FX_FILE_ALREADY_EXISTS:
            return .io(path: path, reason: "cannot \(action) it: it already exists")
        case LIBSSH2_FX_DIR_NOT_EMPTY:
            return .io(path: path, reason: "cannot \(action) it: the directory is not empty")
        case LIBSSH2_FX_NOT_A_DIRECTORY:
            return .io(path: path, reason: "cannot \(action) it: a parent is not a directory")
        case LIBSSH2_FX_OP_UNSUPPORTED:
            return .notSupported("\(path): the SFTP server cannot \(action) files this way")
        case let status:
            return .io(path: path, reason: "the SFTP server refused to \(action) it (status \(status))")
        }
    }

    /// `.<name>.og-tmp-<random>` in the same directory: hidden, and never
    /// mistaken for the target if a failure leaves it behind.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        var name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // Keep the temporary name within NAME_MAX (255 bytes) for long names.
        while name.utf8.count > 200 { name.removeLast() }
        let random = (0..<12).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
        return "\(directory).\(name).og-tmp-\(random)"
    }

    static func fileStatus(_ attributes: LIBSSH2_SFTP_ATTRIBUTES) -> FileStatus {
        let flags = attributes.flags
        let permissions = flags & UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0 ? UInt32(truncatingIfNeeded: attributes.permissions) : 0
        let hasOwner = flags & UInt(LIBSSH2_SFTP_ATTR_UIDGID) != 0
        var status = FileStatus(
            posixMode: permissions,
            size: flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0 ? attributes.filesize : 0,
            modified: flags & UInt(LIBSSH2_SFTP_ATTR_ACMODTIME) != 0 ? Int64(attributes.mtime) : 0,
            uid: hasOwner ? UInt32(truncatingIfNeeded: attributes.uid) : 0,
            gid: hasOwner ? UInt32(truncatingIfNeeded: attributes.gid) : 0)
        if flags & UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS) == 0 { status.type = .other }
        return status
    }
}
