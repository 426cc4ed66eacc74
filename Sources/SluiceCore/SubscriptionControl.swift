/// A request to change what a running source subscribes to (`POST /sources/{id}/subscriptions`).
public struct SubscriptionRequest: Sendable, Hashable {
    /// Symbols to subscribe (for the source's event types).
    public var add: [String]
    /// Symbols to unsubscribe.
    public var remove: [String]

    /// Creates a request.
    public init(add: [String], remove: [String]) {
        self.add = add
        self.remove = remove
    }
}

/// What a source did with a ``SubscriptionRequest``.
public struct SubscriptionReply: Sendable, Hashable, Codable {
    /// A symbol the request named that changed nothing, and why.
    public struct Unchanged: Sendable, Hashable, Codable {
        /// The symbol.
        public var symbol: String
        /// Why (already subscribed, configured in the pipeline file, not added through the API, …).
        public var reason: String

        /// Creates one.
        public init(symbol: String, reason: String) {
            self.symbol = symbol
            self.reason = reason
        }
    }

    /// Symbols subscribed by the request.
    public var added: [String]
    /// Symbols unsubscribed by the request.
    public var removed: [String]
    /// Symbols the request named that changed nothing.
    public var unchanged: [Unchanged]

    /// Creates a reply.
    public init(added: [String], removed: [String], unchanged: [Unchanged]) {
        self.added = added
        self.removed = removed
        self.unchanged = unchanged
    }
}

/// How a source takes subscription changes from outside the pipeline: it offers one with
/// ``StageContext/acceptSubscriptionChanges(_:)`` while it runs.
public struct SubscriptionControl: Sendable {
    /// Applies a request (on the caller's task) and says what it did.
    public var apply: @Sendable (SubscriptionRequest) async throws -> SubscriptionReply

    /// Creates a control.
    public init(apply: @escaping @Sendable (SubscriptionRequest) async throws -> SubscriptionReply) {
        self.apply = apply
    }
}

extension StageContext {
    /// Offers `control` for subscription changes from outside (the operator endpoint's
    /// `POST /sources/{id}/subscriptions`) while this stage runs.
    public func acceptSubscriptionChanges(_ control: SubscriptionControl) {
        counters.subscriptionControl.set(control)
    }
}

/// Why a subscription change was not made: the request was bad (`badRequest`), or the stage cannot take
/// one (`unknownStage`, `notAccepted`, `notRunning`).
public struct SubscriptionChangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The request itself is wrong (a symbol that cannot be one, too many symbols).
        case badRequest
        /// No stage has that id.
        case unknownStage
        /// The stage does not take subscription changes.
        case notAccepted
        /// The stage is not running.
        case notRunning
    }

    /// What went wrong.
    public var kind: Kind
    /// For people.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
