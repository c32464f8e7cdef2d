"""The 36 tools of the RunPod MCP server (v1.4.0), as the demo upstream lists them.

Each tool: name, a short description, an explicit JSON Schema for its input, and annotations on
some tools (R: read-only, W: write, D: destructive, as later upstream versions mark them) and none
on others, so Portcullis's risk classifier meets both cases. See ../../../shared/runpod-tools.md.
"""

from __future__ import annotations

from typing import Any

READ = {"readOnlyHint": True, "openWorldHint": True}
WRITE = {"readOnlyHint": False, "openWorldHint": True}
DESTROY = {"destructiveHint": True, "idempotentHint": True}


def _s(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _i(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "description": description, **extra}


def _b(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def _env(description: str = "Environment variables") -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}, "description": description}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _id(field: str, what: str) -> dict[str, Any]:
    return _obj({field: _s(f"ID of the {what}")}, [field])


_job = _obj({"endpointId": _s("ID of the endpoint"), "jobId": _s("ID of the job")}, ["endpointId", "jobId"])

# (name, description, input schema, annotations or None)
TOOLS: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    # infrastructure
    ("list-gpu-types", "List GPU types with their memory, price and availability.", _obj({
        "minMemoryGb": _i("Only GPUs with at least this much memory", minimum=0),
        "secureCloudOnly": _b("Only GPUs offered in Secure Cloud"),
        "communityCloudOnly": _b("Only GPUs offered in Community Cloud"),
        "searchTerm": _s("Filter GPU names by this text"),
        "includeUnavailable": _b("Include GPUs with no stock right now"),
    }), READ),
    ("list-data-centers", "List data centers and the GPUs they stock.", _obj({
        "region": _s("Only data centers in this region, e.g. EU or US"),
    }), None),
    # pods
    ("list-pods", "List your pods.", _obj({
        "computeType": _s("GPU or CPU pods", enum=["GPU", "CPU"]),
        "gpuTypeId": _strings("Only pods with these GPU types"),
        "dataCenterId": _strings("Only pods in these data centers"),
        "name": _s("Only pods with this name"),
        "limit": _i("Most pods to return", minimum=1, maximum=100),
        "cursor": _s("Cursor from a previous page"),
    }), READ),
    ("get-pod", "Get one pod by ID.", _obj({
        "podId": _s("ID of the pod"),
        "includeMachine": _b("Include the host machine"),
        "includeNetworkVolume": _b("Include the attached network volume"),
    }, ["podId"]), READ),
    ("create-pod", "Create a new GPU or CPU pod from a container image.", _obj({
        "imageName": _s("Container image, e.g. runpod/pytorch:2.1.0-py3.10-cuda11.8.0"),
        "name": _s("Name of the pod"),
        "cloudType": _s("Cloud to run in", enum=["SECURE", "COMMUNITY"]),
        "gpuTypeIds": _strings("Acceptable GPU types, in order of preference"),
        "gpuCount": _i("Number of GPUs", minimum=0),
        "containerDiskInGb": _i("Container disk size in GB", minimum=1),
        "volumeInGb": _i("Pod volume size in GB", minimum=0),
        "ports": _strings("Exposed ports, e.g. 8888/http"),
        "env": _env(),
        "dataCenterIds": _strings("Acceptable data centers"),
    }, ["imageName"]), WRITE),
    ("update-pod", "Change a pod's image, disks, ports or environment.", _obj({
        "podId": _s("ID of the pod"),
        "imageName": _s("New container image"),
        "containerDiskInGb": _i("Container disk size in GB", minimum=1),
        "volumeInGb": _i("Pod volume size in GB", minimum=0),
        "ports": _strings("Exposed ports"),
        "env": _env(),
    }, ["podId"]), None),
    ("start-pod", "Start (resume) a stopped pod.", _id("podId", "pod"), WRITE),
    ("stop-pod", None, _id("podId", "pod"), None),  # upstream has no description for stop-pod
    ("delete-pod", "Delete a pod and its volume.", _id("podId", "pod"), DESTROY),
    # endpoints
    ("list-endpoints", "List serverless endpoints.", _obj({
        "includeTemplate": _b("Include each endpoint's template"),
        "includeWorkers": _b("Include each endpoint's workers"),
    }), READ),
    ("get-endpoint", "Get one serverless endpoint by ID.", _id("endpointId", "endpoint"), None),
    ("create-endpoint", "Create a serverless endpoint from a template.", _obj({
        "name": _s("Name of the endpoint"),
        "templateId": _s("Template the workers run"),
        "computeType": _s("GPU or CPU workers", enum=["GPU", "CPU"]),
        "gpuTypeIds": _strings("Acceptable GPU types"),
        "gpuCount": _i("GPUs per worker", minimum=0),
        "workersMin": _i("Workers kept running", minimum=0),
        "workersMax": _i("Most workers", minimum=0),
        "dataCenterIds": _strings("Acceptable data centers"),
    }, ["templateId"]), WRITE),
    ("update-endpoint", "Change an endpoint's scaling.", _obj({
        "endpointId": _s("ID of the endpoint"),
        "workersMin": _i("Workers kept running", minimum=0),
        "workersMax": _i("Most workers", minimum=0),
        "idleTimeout": _i("Seconds before an idle worker stops", minimum=1),
        "scalerType": _s("Scaling strategy", enum=["QUEUE_DELAY", "REQUEST_COUNT"]),
        "scalerValue": _i("Scaling threshold", minimum=1),
    }, ["endpointId"]), None),
    ("delete-endpoint", "Delete a serverless endpoint.", _id("endpointId", "endpoint"), DESTROY),
    # jobs
    ("run-endpoint", "Submit an asynchronous job to an endpoint.", _obj({
        "endpointId": _s("ID of the endpoint"),
        "input": {"type": "object", "description": "Input passed to the worker"},
        "webhook": _s("URL called when the job completes"),
        "policy": _obj({
            "executionTimeout": _i("Milliseconds before the job is stopped", minimum=1),
            "lowPriority": _b("Do not scale up for this job"),
            "ttl": _i("Milliseconds the job may wait in the queue", minimum=1),
        }),
        "s3Config": _obj({
            "accessId": _s("S3 access key id"),
            "accessSecret": _s("S3 secret access key"),
            "bucketName": _s("Bucket for outputs"),
            "endpointUrl": _s("S3 endpoint URL"),
        }),
    }, ["endpointId", "input"]), WRITE),
    ("runsync-endpoint", "Run a job on an endpoint and wait for its result.", _obj({
        "endpointId": _s("ID of the endpoint"),
        "input": {"type": "object", "description": "Input passed to the worker"},
        "wait": _i("Most milliseconds to wait for the result", minimum=1, maximum=300000),
    }, ["endpointId", "input"]), WRITE),
    ("get-job-status", "Get the status (and output, when done) of a job.", _job, READ),
    ("stream-job", "Get the streamed partial outputs of a job.", _job, READ),
    ("cancel-job", "Cancel a queued or running job.", _job, WRITE),
    ("retry-job", "Retry a failed or cancelled job.", _job, WRITE),
    ("endpoint-health", "Get an endpoint's worker and job counts.", _id("endpointId", "endpoint"), READ),
    ("purge-endpoint-queue", "Remove every queued job of an endpoint.", _id("endpointId", "endpoint"), None),
    # templates
    ("list-templates", "List pod and serverless templates.", _obj({
        "includeRunpodTemplates": _b("Include RunPod's official templates"),
        "includePublicTemplates": _b("Include community templates"),
        "includeEndpointBoundTemplates": _b("Include templates bound to endpoints"),
    }), READ),
    ("get-template", "Get one template by ID.", _id("templateId", "template"), None),
    ("create-template", "Create a pod or serverless template.", _obj({
        "name": _s("Name of the template"),
        "imageName": _s("Container image"),
        "isServerless": _b("A serverless template (else a pod template)"),
        "ports": _strings("Exposed ports"),
        "dockerEntrypoint": _strings("Entrypoint override"),
        "dockerStartCmd": _strings("Start command override"),
        "env": _env(),
        "containerDiskInGb": _i("Container disk size in GB", minimum=1),
        "volumeInGb": _i("Volume size in GB", minimum=0),
        "readme": _s("Markdown shown with the template"),
        "containerRegistryAuthId": _s("Credentials for a private registry"),
    }, ["name", "imageName"]), WRITE),
    ("update-template", "Change a template.", _obj({
        "templateId": _s("ID of the template"),
        "name": _s("New name"),
        "imageName": _s("New container image"),
        "ports": _strings("Exposed ports"),
        "env": _env(),
        "readme": _s("Markdown shown with the template"),
    }, ["templateId"]), WRITE),
    ("delete-template", "Delete a template.", _id("templateId", "template"), None),
    # network volumes
    ("list-network-volumes", "List network volumes.", _obj({}), READ),
    ("get-network-volume", "Get one network volume by ID.", _id("networkVolumeId", "network volume"), READ),
    ("create-network-volume", "Create a network volume in a data center.", _obj({
        "name": _s("Name of the volume"),
        "size": _i("Size in GB", minimum=1, maximum=4000),
        "dataCenterId": _s("Data center to create it in"),
    }, ["name", "size", "dataCenterId"]), WRITE),
    ("update-network-volume", "Rename or grow a network volume.", _obj({
        "networkVolumeId": _s("ID of the network volume"),
        "name": _s("New name"),
        "size": _i("New size in GB (volumes only grow)", minimum=1, maximum=4000),
    }, ["networkVolumeId"]), None),
    ("delete-network-volume", "Delete a network volume and its data.", _id("networkVolumeId", "network volume"), DESTROY),
    # container registry auth
    ("list-container-registry-auths", "List saved container registry credentials (names only).", _obj({}), READ),
    ("get-container-registry-auth", "Get one saved registry credential (name only).",
     _id("containerRegistryAuthId", "registry credential"), READ),
    ("create-container-registry-auth", "Save credentials for a private container registry.", _obj({
        "name": _s("Name of the credential"),
        "username": _s("Registry user name"),
        "password": _s("Registry password or token"),
    }, ["name", "username", "password"]), WRITE),
    ("delete-container-registry-auth", "Delete saved registry credentials.",
     _id("containerRegistryAuthId", "registry credential"), DESTROY),
]

assert len(TOOLS) == 36, len(TOOLS)
assert len({name for name, *_ in TOOLS}) == 36
