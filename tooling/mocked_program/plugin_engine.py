"""The component package's plugin as the Pulumi CLI runs it, and the engine it talks to, faked here.

The CLI is not available where this project is developed; its gRPC protocol is. The plugin is started exactly as
the Python language host starts it (`component_package/venv/bin/python <plugin folder> <engine address>`, in the
consumer's folder), and this process serves the ResourceMonitor and Engine the plugin calls back, answered by the
same mocks as the program's in-process runs (pulumi_mocks), so the two can be compared. The tests
(tests/test_component_package.py) and the start benchmark (tooling/benchmarks/component_package_start.py) use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import subprocess
import time
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc, resource_pb2, resource_pb2_grpc

from tooling.mocked_program.pulumi_mocks import PROJECT, REPO, RecordingMocks

PLUGIN_DIR = REPO / "component_package"
PLUGIN_PYTHON = PLUGIN_DIR / "venv" / "bin" / "python"
STACK = "dev"
# What the engine sends as the parent of a component a program declares at its top level.
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    inputs: dict


@dataclass
class FakeMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The engine's resource monitor, answered by the same mocks the in-process tests use."""

    context: contextvars.Context
    mocks: RecordingMocks = field(default_factory=RecordingMocks)
    registrations: list[Registration] = field(default_factory=list)

    def __post_init__(self):
        self.monitor = pulumi_mocks.MockMonitor(self.mocks)

    def _run(self, method, request):
        # The mocks read the stack and project from Pulumi's settings, which are context variables: answer in
        # the context the test set up, whatever gRPC thread the call arrives on.
        return self.context.copy().run(method, request)

    def RegisterResource(self, request, context):
        response = self._run(self.monitor.RegisterResource, request)
        inputs = self._run(lambda r: rpc.deserialize_properties(r.object), request)
        self.registrations.append(Registration(response.urn, request.type, request.name, request.parent, inputs))
        return response

    def RegisterResourceOutputs(self, request, context):
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        return self._run(self.monitor.Invoke, request)

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=self.monitor.SupportsFeature(request).hasSupport)

    def GetDeploymentInfo(self, request, context):
        return self.monitor.GetDeploymentInfo(request)

    def RegisterPackage(self, request, context):
        return self.monitor.RegisterPackage(request)

    def RegisterStackTransform(self, request, context):
        return empty_pb2.Empty()


@dataclass
class FakeEngine(engine_pb2_grpc.EngineServicer):
    logs: list[str] = field(default_factory=list)
    root: str = ""

    def Log(self, request, context):
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


@dataclass
class RunningPlugin:
    process: subprocess.Popen
    provider: provider_pb2_grpc.ResourceProviderStub
    monitor: FakeMonitor
    engine: FakeEngine
    monitor_address: str
    consumer: Path
    started_seconds: float

    def construct(self, token: str, name: str, inputs: dict) -> proto.ConstructResponse:
        struct = struct_pb2.Struct()
        struct.update(inputs)  # numbers travel as doubles, as from the engine
        request = proto.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            monitorEndpoint=self.monitor_address,
            type=token,
            name=name,
            parent=STACK_URN,
            inputs=struct,
            dryRun=False,
        )
        return self.provider.Construct(request, timeout=120)


def _pipes(process: subprocess.Popen) -> tuple[IO[str], IO[str]]:
    """The plugin's stdout and stderr: Popen opens them when asked for PIPE, as start_plugin_process does."""
    if process.stdout is None or process.stderr is None:
        raise RuntimeError("the plugin was started without its stdout and stderr piped")
    return process.stdout, process.stderr


def start_plugin_process(engine_address: str, cwd: Path) -> tuple[subprocess.Popen, int, float]:
    """Start the plugin as the language host does; return it, its port and the seconds until it printed it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    began = time.perf_counter()
    process = subprocess.Popen(
        [str(PLUGIN_PYTHON), str(PLUGIN_DIR), engine_address],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = _pipes(process)
    first_line = stdout.readline()
    took = time.perf_counter() - began
    if not first_line.strip().isdigit():
        process.kill()
        raise RuntimeError(f"the plugin printed {first_line!r} instead of its port: {stderr.read()[-3000:]}")
    return process, int(first_line), took


@contextlib.contextmanager
def running_plugin(consumer_folder: Path):
    """The plugin process, started in `consumer_folder`, with a fake engine and monitor served from here."""
    monitor = FakeMonitor(contextvars.copy_context())
    engine = FakeEngine()
    # The mocks pump an asyncio loop on the thread that answers; each worker gets its own, closed at the end.
    loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop():
        loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(loops[-1])

    workers = futures.ThreadPoolExecutor(max_workers=4, initializer=give_thread_a_loop)
    server = grpc.server(workers)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    process, plugin_port, took = start_plugin_process(f"127.0.0.1:{port}", consumer_folder)
    channel = grpc.insecure_channel(f"127.0.0.1:{plugin_port}")
    try:
        yield RunningPlugin(
            process,
            provider_pb2_grpc.ResourceProviderStub(channel),
            monitor,
            engine,
            f"127.0.0.1:{port}",
            consumer_folder,
            took,
        )
    finally:
        channel.close()
        process.kill()
        process.wait(timeout=30)
        for pipe in _pipes(process):
            pipe.close()
        server.stop(grace=None).wait()
        workers.shutdown(wait=True)
        for loop in loops:
            loop.close()
