"""The what-if page served for real (uvicorn on a free localhost port, in a thread) for the
browser and load tests."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def served(store) -> Iterator[str]:
    """Serve `store`'s app on 127.0.0.1 until the block ends; yields the page's address."""
    import uvicorn

    from planner.cli.commands.serve import bind
    from planner.web import create_app
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
