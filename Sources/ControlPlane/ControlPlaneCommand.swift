import ArgumentParser

/// `controlplane serve | migrate`
@main
struct ControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controlplane",
        abstract: "Portcullis control plane: REST admin API, console and policy snapshots for gateway workers.",
        subcommands: [ServeCommand.self, MigrateCommand.self, NewTokenCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
