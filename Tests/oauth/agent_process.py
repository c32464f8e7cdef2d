"""The suite's end of agent_support.py's line protocol: one agent script in its SDK's venv, a
thread reading its lines, and bounded waits for the next one."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class AgentProcess:
    def __init__(self, python: Path, script: str, args: list[str], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self._stderr = open(log, "ab")
        self.popen = subprocess.Popen([str(python), str(HERE / script), *args], cwd=HERE, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_event(self, timeout: float = 60) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from the agent within {timeout}s; its log:\n{self.stderr()}") from None
        if line is None:
            self.popen.wait(timeout=10)
            raise AssertionError(f"the agent exited ({self.popen.returncode}) early; its log:\n{self.stderr()}")
        return json.loads(line)

    def expect(self, event: str, name: str | None = None, timeout: float = 60) -> dict[str, Any]:
        got = self.next_event(timeout)
        assert got["event"] == event and got.get("name") == name, \
            f"expected {event} {name or ''}, the agent said {got}; its log:\n{self.stderr()}"
        return got

    def answer(self, value: dict[str, Any]) -> None:
        self.popen.stdin.write(json.dumps(value) + "\n")
        self.popen.stdin.flush()

    def stderr(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-80:])

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)
        self._stderr.close()
