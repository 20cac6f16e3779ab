"""`python -m tooling.local_cloud`: start LocalStack, deploy the program's ingest path, print where to post, and
keep it up until Ctrl-C (or SIGTERM); then stop LocalStack and delete its data."""

from __future__ import annotations

import contextlib
import signal
import sys

from tooling.local_cloud import offline
from tooling.local_cloud.applier import deploy_ingest_path
from tooling.local_cloud.emulator import LocalCloud


def main() -> int:
    offline.prepare()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the `with` block's stop() on SIGTERM too
    with LocalCloud() as cloud:
        deployment = deploy_ingest_path(cloud.endpoint_url)
        print(f"LocalStack: {cloud.endpoint_url} (pid {cloud.pid})")
        print(f"bucket: {deployment.bucket_name}  stream: {deployment.stream_name}")
        for path, url in deployment.record_urls().items():
            print(f"POST /{path}: {url}")
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
