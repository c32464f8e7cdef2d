import ArgumentParser
import Shared

/// `controlplane new-token worker`: prints a fresh token in the product's format (design.md §3), e.g.
/// for `--worker-tokens` on the control plane and `--worker-token` on a worker.
struct NewTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-token",
        abstract: "Print a new random token (pcs_wk_... for workers) with its checksum."
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case worker
    }

    @Argument(help: "The kind of token: worker.")
    var kind: Kind

    func run() {
        switch kind {
        case .worker: print(SecretToken.generate(.worker).text)
        }
    }
}
