import Foundation
import OGBasics
import OGMaterial

/// SSH connections kept open between the endpoint jobs of one process, so that
/// jobs one after another on endpoints reached the same way (the same host,
/// port, login, credential, sudo setting, host-key policy and algorithms) pay
/// the TCP connect, key exchange and login once, as OpenSSH's ControlMaster
/// does for a shell loop.
///
/// Off until `enable` is called: a one-shot command opens its connection and
/// closes it at the end, as before. A long-lived process that runs job after
/// job (`og-host job worker`) enables it at its start and calls `drain` before
/// it exits.
///
/// Why reuse is safe:
/// - A connection is only reused for an identical identity (`Identity`): every
///   input that decides who logs in where and how. Secrets (password, private
///   key file bytes and passphrase, sudo password) enter it as one HMAC-SHA-256
///   under a key drawn at random per process and kept only in memory, so the
///   pool holds no plaintext secret and no digest an attacker could test
///   guesses against elsewhere.
/// - The host key a kept connection verified is checked again at check-out
///   against the policy and pin store of the job taking it (a re-pinned or
///   changed key refuses it, as it would a new connection).
/// - At check-out one SFTP round trip proves the connection still works; a
///   connection the server dropped while it sat idle is closed and replaced.
/// - A connection goes back only when none of its operations failed (a file
///   that is not there is an answer, not a failure): a timed-out command,
///   a broken transport or any other error closes it. A connection wrapped for
///   fault injection is never checked out of the pool at all.
/// - A connection is checked out by one job at a time; idle ones are bounded
///   per identity and in all, and closed after `idleTimeout`.
public final class SSHConnectionPool: @unchecked Sendable {
    // `settings`, `idle`, `counts` and `evictionScheduled` are touched only under `lock`.

    public struct Settings: Sendable, Equatable {
        /// Idle connections kept for one identity (jobs running at once each need their own).
        public var maxIdlePerIdentity: Int
        /// Idle connections kept in all.
        public var maxIdle: Int
        /// An idle connection older than this is closed.
        public var idleTimeout: Duration

        public init(maxIdlePerIdentity: Int = 4, maxIdle: Int = 64, idleTimeout: Duration = .seconds(30)) {
            self.maxIdlePerIdentity = max(1, maxIdlePerIdentity)
            self.maxIdle = max(1, maxIdle)
            self.idleTimeout = idleTimeout
        }
    }

    /// What the pool did since it was created.
    public struct Statistics: Sendable, Equatable {
        /// Connections opened (logins).
        public var opened = 0
        /// Check-outs answered by a kept connection that proved alive.
        public var reused = 0
        /// Kept connections that failed the proof at check-out (closed and replaced).
        public var replaced = 0
        /// Connections taken back to be kept.
        public var kept = 0
        /// Connections closed when they ended a use (not reusable, pool full or off).
        public var closedAfterUse = 0
        /// Idle connections closed by the timeout or `drain`.
        public var closedIdle = 0
    }

    /// The pool of this process. `EndpointSession` draws from `current`, which is this one unless a task binds another.
    public static let shared = SSHConnectionPool()
    /// The pool endpoint sessions use; tests bind a private one with `$current.withValue`.
    @TaskLocal public static var current: SSHConnectionPool = shared

    private let lock = Locked()
    private var settings: Settings?
    private var idle: [Identity: [Kept]] = [:]
    private var counts = Statistics()
    private var evictionScheduled = false
    /// The HMAC key for secrets in identities: random per pool, never written anywhere.
    private let identityKey: [UInt8]

    private struct Kept {
        let connection: SSHConnection
        let since: ContinuousClock.Instant
    }

    public init() {
        identityKey = (try? SecureRandom.bytes(32)) ?? []
    }

    var identityKeyForTests: [UInt8] { identityKey }

    /// Starts keeping connections between uses.
    public func enable(_ settings: Settings = Settings()) {
        lock.withLock { self.settings = settings }
    }

    public var isEnabled: Bool { lock.withLock { settings != nil } }

    /// Stops keeping connections and closes every idle one with an SSH
    /// disconnect. Connections checked out now are closed when they are given back.
    public func drain() {
        let closing: [Kept] = lock.withLock {
            settings = nil
            let all = idle.values.flatMap { $0 }
            idle = [:]
            counts.closedIdle += all.count
            return all
        }
        for kept in closing { kept.connection.close() }
    }

    public var statistics: Statistics { lock.withLock { counts } }

    /// Idle connections held now.
    public var idleCount: Int { lock.withLock { idle.values.reduce(0) { $0 + $1.count } } }

    // MARK: - Checking out and giving back

    /// A connection for `spec` (type `ssh` or `ssh_windows`): a kept one with
    /// the same identity that proves alive, else a new one. With `keep` false
    /// (or the pool off) it is always new and is closed, not kept, when given back.
    public func checkOut(_ spec: ConnectionSpec, hostKeyStore: HostKeyStore?, keep: Bool = true) throws -> SSHConnection {
        try spec.validate()
        let identity = keep && isEnabled ? Identity(spec, key: identityKey) : nil
        if let identity {
            while let candidate = takeIdle(identity) {
                if candidate.proveReusable(hostKeyPolicy: spec.hostKeyPolicy, hostKeyStore: hostKeyStore) {
                    candidate.pool = (self, identity)
                    lock.withLock { counts.reused += 1 }
                    return candidate
                }
                candidate.close()
                lock.withLock { counts.replaced += 1 }
            }
        }
        let connection = try SSHConnection(spec: spec, hostKeyStore: hostKeyStore)
        lock.withLock { counts.opened += 1 }
        if let identity { connection.pool = (self, identity) }
        return connection
    }

    /// Keeps `connection` for a later check-out when it came from this pool,
    /// the pool is on, none of its operations failed and there is room; closes it otherwise.
    func giveBack(_ connection: SSHConnection, identity: Identity) {
        let reusable = connection.isReusable
        let kept: Bool = lock.withLock {
            guard reusable, let settings else { return false }
            let expired = removeExpired(settings)
            defer { closeLater(expired) }
            let total = idle.values.reduce(0) { $0 + $1.count }
            guard idle[identity, default: []].count < settings.maxIdlePerIdentity, total < settings.maxIdle else { return false }
            idle[identity, default: []].append(Kept(connection: connection, since: .now))
            counts.kept += 1
            scheduleEviction(after: settings.idleTimeout)
            return true
        }
        if !kept {
            lock.withLock { counts.closedAfterUse += 1 }
            connection.close()
        }
    }

    // MARK: - Idle bookkeeping

    /// The most recently kept connection for `identity` that has not timed out.
    private func takeIdle(_ identity: Identity) -> SSHConnection? {
        let (taken, expired): (SSHConnection?, [Kept]) = lock.withLock {
            guard let settings else { return (nil, []) }
            let expired = removeExpired(settings)
            return (idle[identity]?.popLast()?.connection, expired)
        }
        closeLater(expired)
        return taken
    }

    /// Removes idle connections older than the timeout; the caller holds `lock` and closes them after.
    private func removeExpired(_ settings: Settings) -> [Kept] {
        let oldest = ContinuousClock.now - settings.idleTimeout
        var expired: [Kept] = []
        for (identity, list) in idle {
            let (old, young) = (list.filter { $0.since <= oldest }, list.filter { $0.since > oldest })
            guard !old.isEmpty else { continue }
            expired += old
            idle[identity] = young.isEmpty ? nil : young
        }
        counts.closedIdle += expired.count
        return expired
    }

    /// Closing says goodbye to the server (bounded, up to 2 s), so never under `lock`.
    private func closeLater(_ expired: [Kept]) {
        guard !expired.isEmpty else { return }
        DispatchQueue.global().async { for kept in expired { kept.connection.close() } }
    }

    /// Closes timed-out idle connections even when no one asks the pool for one; the caller holds `lock`.
    private func scheduleEviction(after timeout: Duration) {
        guard !evictionScheduled else { return }
        evictionScheduled = true
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds + 0.05) { [weak self] in
            guard let self else { return }
            let expired: [Kept] = self.lock.withLock {
                self.evictionScheduled = false
                guard let settings = self.settings else { return [] }
                let expired = self.removeExpired(settings)
                if !self.idle.isEmpty { self.scheduleEviction(after: settings.idleTimeout) }
                return expired
            }
            for kept in expired { kept.connection.close() }
        }
    }

    // MARK: - Identity

    /// Everything that decides what a connection is: two specs with equal
    /// identities would open indistinguishable connections.
    struct Identity: Hashable, Sendable {
        let type: ConnectionType
        let host: String
        let port: Int
        let user: String
        /// HMAC-SHA-256 under the pool's key of the login secret (password, or
        /// private key file bytes and passphrase) and the sudo password.
        let secrets: [UInt8]
        let sudo: Bool
        let pinnedFingerprint: String?
        let knownHostsFile: String?
        let trustOnFirstUse: Bool
        let replacesRememberedKey: Bool
        let legacyAlgorithms: [String]
        let connectTimeout: Duration
        let operationTimeout: Duration
        let keepaliveInterval: Duration

        /// nil when the identity cannot be known without logging in (an
        /// unreadable key file): such a connection is opened and never kept,
        /// so the login reports the problem as usual.
        init?(_ spec: ConnectionSpec, key: [UInt8]) {
            guard spec.type.isSSH, key.count == 32 else { return nil }
            var material: [UInt8] = []
            defer { SecureMemory.wipe(&material) }
            func field(_ tag: String, _ bytes: [UInt8]) {
                // Tagged and length-prefixed, so no two different inputs give the same message.
                material += Array(tag.utf8) + [0]
                withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { material += $0 }
                material += bytes
            }
            switch spec.authentication {
            case .none:
                field("none", [])
            case .password(let password):
                field("password", Array(password.utf8))
            case .privateKey(let path, let passphrase):
                guard var bytes = try? LocalFiles.read(path, limit: .material) else { return nil }
                field("key", bytes)
                SecureMemory.wipe(&bytes)
                field(passphrase == nil ? "no-passphrase" : "passphrase", Array((passphrase ?? "").utf8))
            }
            field(spec.sudoPassword == nil ? "no-sudo-password" : "sudo-password", Array((spec.sudoPassword ?? "").utf8))
            guard let digest = try? MessageAuthentication.hmac(key: key, data: material) else { return nil }
            type = spec.type
            host = spec.host
            port = spec.effectivePort ?? 22
            user = spec.user
            secrets = digest
            sudo = spec.sudo
            pinnedFingerprint = spec.hostKeyPolicy.pinnedFingerprint
            knownHostsFile = spec.hostKeyPolicy.knownHostsFile
            trustOnFirstUse = spec.hostKeyPolicy.trustOnFirstUse
            replacesRememberedKey = spec.hostKeyPolicy.replacesRememberedKey
            legacyAlgorithms = spec.sshAlgorithms.enabledLegacy
            connectTimeout = spec.connectTimeout
            operationTimeout = spec.operationTimeout
            keepaliveInterval = spec.keepaliveInterval
        }
    }
}
