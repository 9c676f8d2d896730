import GRDB

/// Lookups on the write path of every endpoint job (lease, journal, audit,
/// installation records) through statements prepared once per connection.
///
/// GRDB's query interface (`Record.fetchOne(db, key:)`, `exists(db, key:)`,
/// `filter(...).fetchCount(db)`) generates its SQL and prepares a new SQLite
/// statement on every call: about 0.4 M instructions each, mostly
/// `sqlite3_prepare_v3`. A job in a job worker made some 28 of them (the lease
/// checked in every journal write, the journal entry read before and after
/// each step), 10 M of its ~41 M instructions (callgrind of issue 11's
/// fan-out bench). `Database.cachedStatement` keeps each prepared statement
/// for the life of the connection, and a job worker keeps its connection from
/// job to job. The rows, transactions and errors are those of the query
/// interface.
///
/// The SELECTs name the table's columns as the schema has them (GRDB's
/// schema cache, read with `PRAGMA table_xinfo`) instead of `*`: a kept
/// `SELECT *` statement has the shape of the schema it was prepared
/// against, and GRDB keeps the column names of a statement while SQLite
/// re-prepares it silently after a schema change (another process's
/// migration, or a reader connection that opened before its own process
/// migrated: `JobOwnershipMigrationTests` failed with "column not found").
/// Named columns give every statement a fixed shape; a changed column list
/// is another SQL text, so another statement.
extension FetchableRecord where Self: TableRecord {
    /// The row whose `columns` hold `values` (a key: at most one row), or nil.
    static func fetchOne(_ db: Database, whereColumns columns: [String],
                         equal values: [any DatabaseValueConvertible]) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: keyQuery(selectColumns(db), columns)), arguments: StatementArguments(values))
    }

    /// The rows of `SELECT <columns> FROM <table> <clauses>`.
    static func fetchAll(_ db: Database, clauses: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: "\(selectColumns(db)) FROM \(databaseTableName.quotedDatabaseIdentifier) \(clauses)"),
                     arguments: arguments)
    }

    /// `SELECT "a", "b", …`: every column of the table, as the schema has them now.
    static func selectColumns(_ db: Database) throws -> String {
        "SELECT " + (try db.columns(in: databaseTableName).map(\.name.quotedDatabaseIdentifier).joined(separator: ", "))
    }

    /// The row whose `column` holds `value` (a key: at most one row), or nil.
    static func fetchOne(_ db: Database, where column: String, equals value: some DatabaseValueConvertible) throws -> Self? {
        try fetchOne(db, whereColumns: [column], equal: [value])
    }
}

extension TableRecord {
    /// Whether a row's `column` holds `value`.
    static func exists(_ db: Database, where column: String, equals value: some DatabaseValueConvertible) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (\(keyQuery("SELECT 1", [column])))"),
                          arguments: [value]) ?? false
    }

    /// `<select> FROM <table> WHERE "a" = ? AND "b" = ?`.
    static func keyQuery(_ select: String, _ columns: [String]) -> String {
        "\(select) FROM \(databaseTableName.quotedDatabaseIdentifier) WHERE "
            + columns.map { "\($0.quotedDatabaseIdentifier) = ?" }.joined(separator: " AND ")
    }
}

extension Database {
    /// Runs `sql` (an UPDATE or DELETE of the write path) through a statement
    /// prepared once per connection.
    func executeCached(_ sql: String, _ arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
