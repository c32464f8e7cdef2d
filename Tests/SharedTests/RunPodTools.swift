@testable import Shared
import JSON

/// The 36 tools of the RunPod MCP server v1.4.0 (`shared/runpod-tools.md`): name, main parameters,
/// and the annotation kind later upstream versions carry (R, W, D).
enum RunPodTools {
    static let table: [(name: String, parameters: [String], kind: Character)] = [
        ("list-gpu-types", ["minMemoryGb", "secureCloudOnly", "communityCloudOnly", "searchTerm", "includeUnavailable"], "R"),
        ("list-data-centers", ["region"], "R"),
        ("list-pods", ["computeType", "gpuTypeId", "dataCenterId", "name", "limit", "cursor"], "R"),
        ("get-pod", ["podId", "includeMachine", "includeNetworkVolume"], "R"),
        ("create-pod", ["imageName", "name", "cloudType", "gpuTypeIds", "gpuCount", "containerDiskInGb", "volumeInGb", "ports", "env", "dataCenterIds"], "W"),
        ("update-pod", ["podId", "imageName", "containerDiskInGb", "volumeInGb", "ports", "env"], "W"),
        ("start-pod", ["podId"], "W"),
        ("stop-pod", ["podId"], "W"),
        ("delete-pod", ["podId"], "D"),
        ("list-endpoints", ["includeTemplate", "includeWorkers"], "R"),
        ("get-endpoint", ["endpointId"], "R"),
        ("create-endpoint", ["name", "templateId", "computeType", "gpuTypeIds", "gpuCount", "workersMin", "workersMax", "dataCenterIds"], "W"),
        ("update-endpoint", ["endpointId", "workersMin", "workersMax", "idleTimeout", "scalerType", "scalerValue"], "W"),
        ("delete-endpoint", ["endpointId"], "D"),
        ("run-endpoint", ["endpointId", "input", "webhook", "policy", "s3Config"], "W"),
        ("runsync-endpoint", ["endpointId", "input", "wait"], "W"),
        ("get-job-status", ["endpointId", "jobId"], "R"),
        ("stream-job", ["endpointId", "jobId"], "R"),
        ("cancel-job", ["endpointId", "jobId"], "W"),
        ("retry-job", ["endpointId", "jobId"], "W"),
        ("endpoint-health", ["endpointId"], "R"),
        ("purge-endpoint-queue", ["endpointId"], "W"),
        ("list-templates", ["includeRunpodTemplates", "includePublicTemplates", "includeEndpointBoundTemplates"], "R"),
        ("get-template", ["templateId"], "R"),
        ("create-template", ["name", "imageName", "isServerless", "ports", "dockerEntrypoint", "dockerStartCmd", "env", "containerDiskInGb", "volumeInGb", "readme", "containerRegistryAuthId"], "W"),
        ("update-template", ["templateId", "name", "imageName", "ports", "env", "readme"], "W"),
        ("delete-template", ["templateId"], "D"),
        ("list-network-volumes", [], "R"),
        ("get-network-volume", ["networkVolumeId"], "R"),
        ("create-network-volume", ["name", "size", "dataCenterId"], "W"),
        ("update-network-volume", ["networkVolumeId", "name", "size"], "W"),
        ("delete-network-volume", ["networkVolumeId"], "D"),
        ("list-container-registry-auths", [], "R"),
        ("get-container-registry-auth", ["containerRegistryAuthId"], "R"),
        ("create-container-registry-auth", ["name", "username", "password"], "W"),
        ("delete-container-registry-auth", ["containerRegistryAuthId"], "D"),
    ]

    /// The definition as v1.4.0 lists it (no annotations, no description), or with the later
    /// versions' annotations.
    static func definition(_ name: String, annotated: Bool) -> JSONValue {
        let entry = table.first { $0.name == name }!
        var properties = JSONObject()
        for parameter in entry.parameters { properties[parameter] = ["type": "string"] }
        var tool: JSONObject = JSONObject([("name", .string(name)), ("inputSchema", ["type": "object", "properties": .object(properties)])])
        if annotated {
            tool["annotations"] = switch entry.kind {
            case "R": ["readOnlyHint": true, "openWorldHint": true]
            case "W": ["readOnlyHint": false, "openWorldHint": true]
            default: ["destructiveHint": true, "idempotentHint": true]
            }
        }
        return .object(tool)
    }
}
