import ArgumentParser

/// `gateway serve`
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Portcullis gateway worker: the MCP endpoint that enforces policy on every tool call.",
        subcommands: [ServeCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
