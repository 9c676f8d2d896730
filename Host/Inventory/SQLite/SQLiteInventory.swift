import Foundation
import GRDB

/// The inventory in one SQLite file (through GRDB): today's `InventoryStore`.
/// Everything that speaks SQL or names a GRDB type lives in this folder (one
/// `SQLiteInventory+<Concept>.swift` per concept, with its migrations); services
/// see only `InventoryStore`.
///
/// Several `og-host` processes may open the same file at once. The database
/// runs in WAL mode (readers never block the writer), every write is an
/// `IMMEDIATE` transaction, and a busy timeout makes a writer wait for
/// another instead of failing. All methods are safe to call from any thread.
public final class SQLiteInventory: InventoryStore {
    /// How long a write waits for another process's write to finish before it
    /// gives up. Writes here are single small transactions; waiting this long
    /// means something is stuck, not busy.
    public static let busyTimeout: TimeInterval = 30

    public let path: String
    let pool: any DatabaseWriter

    /// SQLite's busy handler for a writer that found another process writing:
    /// nap a little and try again, for `busyTimeout` in all. SQLite's own
    /// timeout handler backs off to 100 ms naps (1, 2, 5, 10, 15, 20, 25, 25,
    /// 25, 50, 50, 100, 100, … ms), far longer than the few milliseconds one of
    /// our write transactions holds the lock, so a writer kept sleeping after
    /// the lock was free: in a traced fan-out of 50 jobs on 10 job workers
    /// (bench/deploy-fanout.sh) single writes waited up to 1.0 s, with these
    /// naps 0.38 s at most. This one naps 1, 1, 2, 2 ms, then 5 ms at most.
    /// Only when to look again changes: every write is still one IMMEDIATE
    /// transaction, committed and synced as before.
    static func waitForOtherWriter(tries: Int) -> Bool {
        guard let milliseconds = busyNap(afterTries: tries) else { return false }
        usleep(useconds_t(milliseconds * 1000))
        return true
    }

    /// How long to nap after `tries` failed tries (milliseconds), or nil once
    /// the naps so far add up to `busyTimeout`.
    static func busyNap(afterTries tries: Int) -> Int? {
        let first = [1, 1, 2, 2]
        let slept = tries < first.count ? first[..<tries].reduce(0, +) : first.reduce(0, +) + 5 * (tries - first.count)
        guard slept < Int(busyTimeout * 1000) else { return nil }
        return tries < first.count ? first[tries] : 5
    }

    /// Opens (creating if needed) the inventory at `path` and brings its
    /// schema up to date.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .callback(Self.waitForOtherWriter)
        configuration.label = "og-host inventory"
        Self.restrictToOwner(path)
        do {
            if Self.isInWALMode(path) {
                // Opening a DatabasePool writes (GRDB creates and drops a table
                // so that a -wal file exists), and the checkpoint on close then
                // rewrites the file: every run, even `tls list`, would change
                // inventory.sqlite. A file already in WAL mode stays in it (the
                // mode is stored in the file), so one connection opened without
                // that set-up reads without writing; writes are still IMMEDIATE
                // transactions, and other processes still read while one writes.
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                pool = try DatabaseQueue(path: path, configuration: configuration)
            } else {
                pool = try DatabasePool(path: path, configuration: configuration)
            }
        } catch {
            throw Self.describe(error, path: path)
        }
        try migrate()
    }

    /// Whether the SQLite file at `path` says it is in WAL mode (header bytes
    /// 18 and 19, the read and write format versions, are 2).
    static func isInWALMode(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 20)
        guard pread(fd, &header, 20, 0) == 20 else { return false }
        return header.starts(with: Array("SQLite format 3\0".utf8)) && header[18] == 2 && header[19] == 2
    }

    /// The inventory holds the audit trail, endpoints and host-key pins: owner-only,
    /// whatever the directory it lives in allows. A new file is created 0600 before
    /// SQLite opens it (SQLite gives its -wal and -shm files the database's mode);
    /// an existing one readable by others is narrowed to 0600.
    static func restrictToOwner(_ path: String) {
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return } // SQLite's own open reports what is wrong with the path
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0, info.st_uid == geteuid() {
            _ = fchmod(fd, info.st_mode & 0o700)
        }
    }

    /// Opens the inventory kept in `dataDirectory`.
    public convenience init(dataDirectory: DataDirectory) throws {
        try self.init(path: dataDirectory.inventoryPath)
    }

    /// Identifiers of the applied schema migrations, oldest first.
    public var appliedMigrations: [String] {
        get throws { try read { try InventorySchema.migrator.appliedMigrations($0) } }
    }

    private func migrate() throws {
        let migrator = InventorySchema.migrator
        // GRDB decides which migrations are pending before it opens each
        // migration's transaction, so two processes opening a new file at once
        // can both try the same migration; the loser fails on an existing
        // table. Every such failure means another process committed a
        // migration, so retrying (at most once per migration) converges.
        var attempt = 0
        while true {
            do {
                try pool.read { db in
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
                    if !unknown.isEmpty {
                        throw InventoryError.databaseFromNewerVersion(path: path, unknownMigrations: unknown.sorted())
                    }
                }
                try migrator.migrate(pool)
                return
            } catch let error as InventoryError {
                throw error
            } catch {
                attempt += 1
                if attempt > migrator.migrations.count {
                    throw Self.describe(error, path: path)
                }
            }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as InventoryError {
            throw error
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as InventoryError {
            throw error
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    static func describe(_ error: any Error, path: String) -> InventoryError {
        if let error = error as? DatabaseError {
            let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .database(path: path, message: "\(message): another og-host process held the database "
                                 + "longer than \(Int(busyTimeout)) s; retry, or find the stuck process")
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
                return .database(path: path, message: "\(message): check that the file and its directory exist "
                                 + "and are writable by this user")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .database(path: path, message: "\(message): the file is not an og-host inventory or is "
                                 + "damaged; restore it from a backup")
            default:
                return .database(path: path, message: message)
            }
        }
        return .database(path: path, message: String(describing: error))
    }
}
