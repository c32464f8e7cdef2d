import JSON

/// Something in a tool definition that looks like an attempt to steer the model (design.md §5.7).
public struct PoisoningFinding: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `<IMPORTANT>`, "ignore previous", "do not tell the user" and similar.
        case hiddenInstruction = "hidden_instruction"
        /// Zero-width characters and Unicode tag characters, which hide text from the human reader.
        case invisibleCharacter = "invisible_character"
        /// Bidirectional overrides and isolates, which reorder what the human sees.
        case bidiControl = "bidi_control"
        /// ESC/CSI sequences, which can rewrite a terminal's display.
        case ansiEscape = "ansi_escape"
        /// Other C0/C1 control characters besides tab, newline and carriage return.
        case controlCharacter = "control_character"
        /// Another tool's name: a classic way to make one tool call, or shadow, another.
        case toolReference = "tool_reference"
        /// Credential locations such as `~/.ssh` or `.aws/credentials`.
        case sensitivePath = "sensitive_path"
    }

    public let kind: Kind
    /// JSON Pointer into the definition, e.g. `/description` or `/inputSchema/properties/path/description`.
    public let location: String
    /// The text around the match, with invisible and control characters shown as `<U+200B>`.
    public let excerpt: String

    public init(kind: Kind, location: String, excerpt: String) {
        self.kind = kind
        self.location = location
        self.excerpt = excerpt
    }

    /// `{"kind", "where", "excerpt"}`, as stored with the tool and shown by the API.
    public var json: JSONValue {
        ["kind": .string(kind.rawValue), "where": .string(location), "excerpt": .string(excerpt)]
    }
}
