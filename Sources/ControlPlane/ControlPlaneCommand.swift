import ArgumentParser

/// `controlplane serve | migrate | new-token | reseal | account-upstream-cidrs`
@main
struct ControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controlplane",
        abstract: "Portcullis control plane: REST admin API, console and policy snapshots for gateway workers.",
        subcommands: [ServeCommand.self, MigrateCommand.self, NewTokenCommand.self, ResealCommand.self, AccountUpstreamCIDRsCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
