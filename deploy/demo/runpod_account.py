"""The in-memory RunPod account behind the demo upstream's 36 tools (no MCP SDK needed here)."""

from __future__ import annotations

import copy
import itertools
import threading
from typing import Any


class ToolError(Exception):
    """A failure the agent should read: answered as a tool result with isError."""


class RunPodAccount:
    """The in-memory account behind the tools. Thread-safe enough for one event loop plus tests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.calls = 0
        self.pods: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.volumes: dict[str, dict[str, Any]] = {}
        self.registry_auths: dict[str, dict[str, Any]] = {}
        self.gpu_types = [
            {"id": "NVIDIA GeForce RTX 4090", "memoryInGb": 24, "secureCloud": True, "communityCloud": True, "stock": "High", "securePrice": 0.69},
            {"id": "NVIDIA RTX A6000", "memoryInGb": 48, "secureCloud": True, "communityCloud": True, "stock": "Medium", "securePrice": 0.76},
            {"id": "NVIDIA A100 80GB PCIe", "memoryInGb": 80, "secureCloud": True, "communityCloud": False, "stock": "Low", "securePrice": 1.64},
            {"id": "NVIDIA H100 80GB HBM3", "memoryInGb": 80, "secureCloud": True, "communityCloud": False, "stock": None, "securePrice": 2.99},
        ]
        self.data_centers = [
            {"id": "EU-RO-1", "region": "EU", "gpus": ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A6000"]},
            {"id": "EU-SE-1", "region": "EU", "gpus": ["NVIDIA A100 80GB PCIe"]},
            {"id": "US-TX-3", "region": "US", "gpus": ["NVIDIA H100 80GB HBM3", "NVIDIA GeForce RTX 4090"]},
        ]
        self.templates["tpl_runpod_pytorch"] = {
            "id": "tpl_runpod_pytorch", "name": "RunPod PyTorch 2.1", "imageName": "runpod/pytorch:2.1.0-py3.10-cuda11.8.0",
            "isServerless": False, "isRunpod": True, "isPublic": True, "ports": ["8888/http", "22/tcp"], "env": {},
        }
        # One pod exists from the start, so list and get show something before anything is created.
        self.pods["pod_demo1"] = {
            "id": "pod_demo1", "name": "notebook", "imageName": "runpod/pytorch:2.1.0-py3.10-cuda11.8.0",
            "desiredStatus": "RUNNING", "computeType": "GPU", "gpuTypeId": "NVIDIA GeForce RTX 4090", "gpuCount": 1,
            "dataCenterId": "EU-RO-1", "containerDiskInGb": 20, "volumeInGb": 50, "ports": ["8888/http"], "env": {},
        }

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):04d}"

    # --- the tools -------------------------------------------------------------------------

    def call(self, name: str, args: dict[str, Any]) -> Any:
        with self.lock:
            self.calls += 1
            handler = getattr(self, "t_" + name.replace("-", "_"), None)
            if handler is None:
                raise ToolError(f"Unknown tool: {name}")
            return handler(args)

    def _get(self, table: dict[str, dict[str, Any]], key: str, what: str) -> dict[str, Any]:
        item = table.get(key)
        if item is None:
            raise ToolError(f"{what} {key} not found")
        return item

    def t_list_gpu_types(self, a: dict[str, Any]) -> Any:
        out = []
        for gpu in self.gpu_types:
            if gpu["memoryInGb"] < a.get("minMemoryGb", 0):
                continue
            if a.get("secureCloudOnly") and not gpu["secureCloud"]:
                continue
            if a.get("communityCloudOnly") and not gpu["communityCloud"]:
                continue
            if a.get("searchTerm") and a["searchTerm"].lower() not in gpu["id"].lower():
                continue
            if gpu["stock"] is None and not a.get("includeUnavailable"):
                continue
            out.append(gpu)
        return out

    def t_list_data_centers(self, a: dict[str, Any]) -> Any:
        return [dc for dc in self.data_centers if not a.get("region") or dc["region"] == a["region"]]

    def t_list_pods(self, a: dict[str, Any]) -> Any:
        pods = sorted(self.pods.values(), key=lambda p: p["id"])
        if a.get("computeType"):
            pods = [p for p in pods if p["computeType"] == a["computeType"]]
        if a.get("gpuTypeId"):
            pods = [p for p in pods if p.get("gpuTypeId") in a["gpuTypeId"]]
        if a.get("dataCenterId"):
            pods = [p for p in pods if p["dataCenterId"] in a["dataCenterId"]]
        if a.get("name"):
            pods = [p for p in pods if p["name"] == a["name"]]
        start = 0
        if a.get("cursor"):
            start = next((i + 1 for i, p in enumerate(pods) if p["id"] == a["cursor"]), len(pods))
        limit = a.get("limit", 100)
        page = pods[start:start + limit]
        next_cursor = page[-1]["id"] if start + limit < len(pods) and page else None
        return {"pods": page, "nextCursor": next_cursor}

    def t_get_pod(self, a: dict[str, Any]) -> Any:
        pod = copy.deepcopy(self._get(self.pods, a["podId"], "Pod"))
        if a.get("includeMachine"):
            pod["machine"] = {"podHostId": f"host-{pod['id']}", "gpuDisplayName": pod.get("gpuTypeId")}
        if a.get("includeNetworkVolume"):
            pod["networkVolume"] = self.volumes.get(pod.get("networkVolumeId", ""))
        return pod

    def t_create_pod(self, a: dict[str, Any]) -> Any:
        gpu_types = a.get("gpuTypeIds") or ["NVIDIA GeForce RTX 4090"]
        known = {g["id"] for g in self.gpu_types}
        unknown = [g for g in gpu_types if g not in known]
        if unknown:
            raise ToolError(f"Unknown GPU type {unknown[0]}")
        pod_id = self.new_id("pod")
        gpu_count = a.get("gpuCount", 1)
        pod = {
            "id": pod_id, "name": a.get("name", pod_id), "imageName": a["imageName"], "desiredStatus": "RUNNING",
            "computeType": "GPU" if gpu_count > 0 else "CPU", "gpuTypeId": gpu_types[0] if gpu_count > 0 else None,
            "gpuCount": gpu_count, "cloudType": a.get("cloudType", "SECURE"),
            "dataCenterId": (a.get("dataCenterIds") or ["EU-RO-1"])[0],
            "containerDiskInGb": a.get("containerDiskInGb", 20), "volumeInGb": a.get("volumeInGb", 0),
            "ports": a.get("ports", []), "env": a.get("env", {}),
        }
        self.pods[pod_id] = pod
        return pod

    def t_update_pod(self, a: dict[str, Any]) -> Any:
        pod = self._get(self.pods, a["podId"], "Pod")
        for key in ("imageName", "containerDiskInGb", "volumeInGb", "ports", "env"):
            if key in a:
                pod[key] = a[key]
        return pod

    def t_start_pod(self, a: dict[str, Any]) -> Any:
        pod = self._get(self.pods, a["podId"], "Pod")
        if pod["desiredStatus"] == "RUNNING":
            raise ToolError(f"Pod {pod['id']} is already running")
        pod["desiredStatus"] = "RUNNING"
        return pod

    def t_stop_pod(self, a: dict[str, Any]) -> Any:
        pod = self._get(self.pods, a["podId"], "Pod")
        pod["desiredStatus"] = "EXITED"  # stopping a stopped pod is a no-op, as on RunPod
        return pod

    def t_delete_pod(self, a: dict[str, Any]) -> Any:
        self._get(self.pods, a["podId"], "Pod")
        del self.pods[a["podId"]]
        return {"deleted": a["podId"]}

    def t_list_endpoints(self, a: dict[str, Any]) -> Any:
        out = []
        for endpoint in self.endpoints.values():
            item = dict(endpoint)
            if a.get("includeTemplate"):
                item["template"] = self.templates.get(endpoint["templateId"])
            if a.get("includeWorkers"):
                item["workers"] = [{"id": f"wrk_{endpoint['id']}_{i}", "status": "IDLE"} for i in range(endpoint["workersMin"])]
            out.append(item)
        return out

    def t_get_endpoint(self, a: dict[str, Any]) -> Any:
        return self._get(self.endpoints, a["endpointId"], "Endpoint")

    def t_create_endpoint(self, a: dict[str, Any]) -> Any:
        self._get(self.templates, a["templateId"], "Template")
        workers_min, workers_max = a.get("workersMin", 0), a.get("workersMax", 3)
        if workers_min > workers_max:
            raise ToolError("workersMin must not exceed workersMax")
        endpoint_id = self.new_id("ep")
        endpoint = {
            "id": endpoint_id, "name": a.get("name", endpoint_id), "templateId": a["templateId"],
            "computeType": a.get("computeType", "GPU"), "gpuTypeIds": a.get("gpuTypeIds", []),
            "gpuCount": a.get("gpuCount", 1), "workersMin": workers_min, "workersMax": workers_max,
            "idleTimeout": 5, "scalerType": "QUEUE_DELAY", "scalerValue": 4, "dataCenterIds": a.get("dataCenterIds", []),
        }
        self.endpoints[endpoint_id] = endpoint
        return endpoint

    def t_update_endpoint(self, a: dict[str, Any]) -> Any:
        endpoint = self._get(self.endpoints, a["endpointId"], "Endpoint")
        for key in ("workersMin", "workersMax", "idleTimeout", "scalerType", "scalerValue"):
            if key in a:
                endpoint[key] = a[key]
        return endpoint

    def t_delete_endpoint(self, a: dict[str, Any]) -> Any:
        self._get(self.endpoints, a["endpointId"], "Endpoint")
        del self.endpoints[a["endpointId"]]
        for job_id in [j for j, job in self.jobs.items() if job["endpointId"] == a["endpointId"]]:
            del self.jobs[job_id]
        return {"deleted": a["endpointId"]}

    def _job(self, a: dict[str, Any]) -> dict[str, Any]:
        self._get(self.endpoints, a["endpointId"], "Endpoint")
        job = self._get(self.jobs, a["jobId"], "Job")
        if job["endpointId"] != a["endpointId"]:
            raise ToolError(f"Job {a['jobId']} not found")
        return job

    def t_run_endpoint(self, a: dict[str, Any]) -> Any:
        self._get(self.endpoints, a["endpointId"], "Endpoint")
        job_id = self.new_id("job")
        self.jobs[job_id] = {"id": job_id, "endpointId": a["endpointId"], "status": "IN_QUEUE", "input": a["input"]}
        return {"id": job_id, "status": "IN_QUEUE"}

    def t_runsync_endpoint(self, a: dict[str, Any]) -> Any:
        self._get(self.endpoints, a["endpointId"], "Endpoint")
        job_id = self.new_id("job")
        output = {"echo": a["input"]}
        self.jobs[job_id] = {"id": job_id, "endpointId": a["endpointId"], "status": "COMPLETED", "input": a["input"], "output": output}
        return {"id": job_id, "status": "COMPLETED", "output": output}

    def t_get_job_status(self, a: dict[str, Any]) -> Any:
        job = self._job(a)
        if job["status"] == "IN_QUEUE":  # a queued job completes the next time someone looks
            job["status"], job["output"] = "COMPLETED", {"echo": job["input"]}
            return {"id": job["id"], "status": "IN_PROGRESS"}
        return {k: v for k, v in job.items() if k != "input"}

    def t_stream_job(self, a: dict[str, Any]) -> Any:
        job = self._job(a)
        return {"id": job["id"], "status": job["status"], "stream": [{"output": job.get("output")}] if "output" in job else []}

    def t_cancel_job(self, a: dict[str, Any]) -> Any:
        job = self._job(a)
        if job["status"] == "COMPLETED":
            raise ToolError(f"Job {job['id']} has already completed")
        job["status"] = "CANCELLED"
        return {"id": job["id"], "status": "CANCELLED"}

    def t_retry_job(self, a: dict[str, Any]) -> Any:
        job = self._job(a)
        if job["status"] not in ("FAILED", "CANCELLED", "TIMED_OUT"):
            raise ToolError(f"Job {job['id']} is {job['status']}; only failed or cancelled jobs are retried")
        job["status"] = "IN_QUEUE"
        return {"id": job["id"], "status": "IN_QUEUE"}

    def t_endpoint_health(self, a: dict[str, Any]) -> Any:
        endpoint = self._get(self.endpoints, a["endpointId"], "Endpoint")
        jobs = [j for j in self.jobs.values() if j["endpointId"] == endpoint["id"]]
        count = lambda status: sum(1 for j in jobs if j["status"] == status)  # noqa: E731
        return {"jobs": {"completed": count("COMPLETED"), "inQueue": count("IN_QUEUE"), "cancelled": count("CANCELLED")},
                "workers": {"idle": endpoint["workersMin"], "running": 0}}

    def t_purge_endpoint_queue(self, a: dict[str, Any]) -> Any:
        self._get(self.endpoints, a["endpointId"], "Endpoint")
        queued = [j for j, job in self.jobs.items() if job["endpointId"] == a["endpointId"] and job["status"] == "IN_QUEUE"]
        for job_id in queued:
            del self.jobs[job_id]
        return {"removed": len(queued)}

    def t_list_templates(self, a: dict[str, Any]) -> Any:
        out = []
        bound = {e["templateId"] for e in self.endpoints.values()}
        for template in self.templates.values():
            if template.get("isRunpod") and not a.get("includeRunpodTemplates", True):
                continue
            if template["id"] in bound and not a.get("includeEndpointBoundTemplates", False):
                continue
            out.append(template)
        return out

    def t_get_template(self, a: dict[str, Any]) -> Any:
        return self._get(self.templates, a["templateId"], "Template")

    def t_create_template(self, a: dict[str, Any]) -> Any:
        if any(t["name"] == a["name"] for t in self.templates.values()):
            raise ToolError(f"A template named {a['name']} already exists")
        if a.get("containerRegistryAuthId"):
            self._get(self.registry_auths, a["containerRegistryAuthId"], "Container registry auth")
        template_id = self.new_id("tpl")
        template = {"id": template_id, "isServerless": False, "isRunpod": False, "isPublic": False,
                    "ports": [], "env": {}, **{k: v for k, v in a.items()}}
        self.templates[template_id] = template
        return template

    def t_update_template(self, a: dict[str, Any]) -> Any:
        template = self._get(self.templates, a["templateId"], "Template")
        if template.get("isRunpod"):
            raise ToolError("RunPod's own templates cannot be changed")
        for key in ("name", "imageName", "ports", "env", "readme"):
            if key in a:
                template[key] = a[key]
        return template

    def t_delete_template(self, a: dict[str, Any]) -> Any:
        self._get(self.templates, a["templateId"], "Template")
        if any(e["templateId"] == a["templateId"] for e in self.endpoints.values()):
            raise ToolError(f"Template {a['templateId']} is used by an endpoint")
        del self.templates[a["templateId"]]
        return {"deleted": a["templateId"]}

    def t_list_network_volumes(self, a: dict[str, Any]) -> Any:
        return list(self.volumes.values())

    def t_get_network_volume(self, a: dict[str, Any]) -> Any:
        return self._get(self.volumes, a["networkVolumeId"], "Network volume")

    def t_create_network_volume(self, a: dict[str, Any]) -> Any:
        if a["dataCenterId"] not in {dc["id"] for dc in self.data_centers}:
            raise ToolError(f"Unknown data center {a['dataCenterId']}")
        volume_id = self.new_id("vol")
        self.volumes[volume_id] = {"id": volume_id, "name": a["name"], "size": a["size"], "dataCenterId": a["dataCenterId"]}
        return self.volumes[volume_id]

    def t_update_network_volume(self, a: dict[str, Any]) -> Any:
        volume = self._get(self.volumes, a["networkVolumeId"], "Network volume")
        if "size" in a:
            if a["size"] < volume["size"]:
                raise ToolError("A network volume can only grow")
            volume["size"] = a["size"]
        if "name" in a:
            volume["name"] = a["name"]
        return volume

    def t_delete_network_volume(self, a: dict[str, Any]) -> Any:
        self._get(self.volumes, a["networkVolumeId"], "Network volume")
        del self.volumes[a["networkVolumeId"]]
        return {"deleted": a["networkVolumeId"]}

    def t_list_container_registry_auths(self, a: dict[str, Any]) -> Any:
        return [{"id": r["id"], "name": r["name"]} for r in self.registry_auths.values()]

    def t_get_container_registry_auth(self, a: dict[str, Any]) -> Any:
        auth = self._get(self.registry_auths, a["containerRegistryAuthId"], "Container registry auth")
        return {"id": auth["id"], "name": auth["name"]}

    def t_create_container_registry_auth(self, a: dict[str, Any]) -> Any:
        auth_id = self.new_id("cra")
        self.registry_auths[auth_id] = {"id": auth_id, "name": a["name"], "username": a["username"], "password": a["password"]}
        return {"id": auth_id, "name": a["name"]}

    def t_delete_container_registry_auth(self, a: dict[str, Any]) -> Any:
        self._get(self.registry_auths, a["containerRegistryAuthId"], "Container registry auth")
        del self.registry_auths[a["containerRegistryAuthId"]]
        return {"deleted": a["containerRegistryAuthId"]}
