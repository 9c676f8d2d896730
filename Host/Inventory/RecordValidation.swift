import Foundation

/// Checks shared by the records before anything reaches the database, so the
/// user sees which field is wrong rather than an SQLite constraint.
package enum RecordValidation {
    /// A user-chosen name: 1 to `maximumLength` characters, none of them control characters.
    package static func name(_ value: String, field: String, maximumLength: Int = 32) throws {
        guard (1...maximumLength).contains(value.count) else {
            throw InventoryError.invalidValue(
                field: field, value: value,
                problem: "is \(value.count) characters long; use 1 to \(maximumLength) characters")
        }
        guard !value.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw InventoryError.invalidValue(field: field, value: value.debugDescription,
                                              problem: "contains control characters; use printable characters only")
        }
    }

    package static func nonEmpty(_ value: String, field: String) throws {
        guard !value.isEmpty else {
            throw InventoryError.invalidValue(field: field, value: value, problem: "is empty; a value is required")
        }
    }

    /// `text` must be JSON whose top level is an object (`{...}`). The text is
    /// not repeated in the error: a careless caller may have put a secret in it.
    package static func jsonObject(_ text: String, field: String) throws {
        guard try json(text, field: field) is [String: Any] else {
            throw InventoryError.invalidJSON(field: field, problem: "is JSON but not an object; give a JSON object such as {}")
        }
    }

    /// `text` must be valid JSON of any shape; returns it parsed.
    @discardableResult
    package static func json(_ text: String, field: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw InventoryError.invalidJSON(field: field, problem: "is not valid JSON; give a JSON object such as {}")
        }
    }
}
