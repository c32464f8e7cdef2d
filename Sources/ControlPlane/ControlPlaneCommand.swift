import ArgumentParser

/// `controlplane serve | migrate | new-token | reseal | account-upstream-cidrs | oauth-rotate-key`
@main
struct ControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controlplane",
        abstract: "Portcullis control plane: REST admin API, console and policy snapshots for gateway workers.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, NewTokenCommand.self, ResealCommand.self, AccountUpstreamCIDRsCommand.self,
            OAuthRotateKeyCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
