/// The moment an operation must have finished by, and what to call it when it has not.
struct Deadline {
    let operation: String
    let duration: Duration
    private let end: ContinuousClock.Instant

    init(_ duration: Duration, operation: String) {
        self.operation = operation
        self.duration = duration
        end = ContinuousClock.now.advanced(by: duration)
    }

    var hasPassed: Bool { ContinuousClock.now >= end }

    /// Milliseconds left, for poll(2); at least 0, at most `Int32.max`.
    var remainingMilliseconds: Int32 {
        let left = (end - ContinuousClock.now).milliseconds
        return Int32(clamping: max(0, left))
    }

    var error: ConnectionError { .timedOut(operation: operation, after: duration) }
}
