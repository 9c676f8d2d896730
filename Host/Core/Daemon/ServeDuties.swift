import Foundation
import OGInventory

/// The duties `og-host serve` runs.
public enum ServeDuties {
    /// Every duty of the daemon, in the order they are considered.
    public static func standard() -> [ServeDuty] {
        [eventDelivery()]
    }

    /// Delivers the event outbox to hooks and the webhook whenever an event is due.
    public static func eventDelivery() -> ServeDuty {
        ServeDuty(name: "events", due: { context, _ in
            try context.inventory.nextEventAttempt()
        }, run: { context in
            var delivery = EventDelivery(gateway: context.gateway, configuration: context.configuration)
            delivery.batchSize = 50
            var delivered = 0
            var failed = 0
            while !context.isStopping {
                let round = try delivery.deliverDue()
                for (channel, outcome) in round.channelOutcomes {
                    context.metrics.recordDelivery(channel: channel, succeeded: outcome.succeeded, failed: outcome.failed)
                }
                delivered += round.delivered
                failed += round.failed
                if round.delivered + round.failed < delivery.batchSize { break }
            }
            if delivered + failed == 0 { return "" }
            return "\(delivered) event(s) delivered" + (failed > 0 ? ", \(failed) to retry later" : "")
        })
    }
}
