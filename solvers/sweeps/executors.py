"""Where a sweep's instances run: ``serial``, a local process pool, or a Dask scheduler.

All three are ``concurrent.futures`` executors, so one submit / wait loop
(:func:`solvers.sweeps.run.execute`) drives them. A Dask spelling is checked
by a plain TCP connect (:func:`check_scheduler`) before any work.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from grids import InvalidInput

DASK_SCHEMES = ("dask://", "tcp://", "inproc://", "tls://")
DASK_DEFAULT_PORT = 8786
CONNECT_TIMEOUT_S = 10.0   # a scheduler that has not answered a TCP connect by then is unreachable


class InlineExecutor(cf.Executor):
    """Runs each submitted call at once in this process (the ``serial`` executor)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


@dataclass(frozen=True)
class Pool:
    """An open executor, how many calls to keep in flight on it, and (Dask) how many workers it has now."""

    executor: cf.Executor
    window: int
    workers: Callable[[], int] | None = None


def local_workers(spec: str) -> int:
    """Worker count of ``local`` (all cores) or ``local:N``.

    Raises
    ------
    grids.InvalidInput
        N is not a whole number >= 1.
    """
    if spec == "local":
        return os.cpu_count() or 1
    try:
        count = int(spec.split(":", 1)[1])
    except ValueError:
        raise InvalidInput(f"executor {spec!r}: local:N needs a whole number of workers") from None
    if count < 1:
        raise InvalidInput(f"executor {spec!r}: at least 1 worker")
    return count


def dask_address(spec: str) -> str:
    """The scheduler address of a Dask executor spelling: ``dask://host:port`` becomes ``tcp://host:port``.

    Raises
    ------
    grids.InvalidInput
        Not a Dask spelling, no host, or a port that is not a number in 1..65535.
    """
    if not spec.startswith(DASK_SCHEMES):
        raise InvalidInput(f"unknown executor {spec!r}; known: serial, local, local:N, dask://host:port")
    address = "tcp://" + spec[len("dask://"):] if spec.startswith("dask://") else spec
    if address.startswith("inproc://"):
        return address
    host, port = _host_port(address.split("://", 1)[1], spec)
    return f"{address.split('://', 1)[0]}://{host}:{port}"


def _host_port(location: str, spec: str) -> tuple[str, int]:
    host, sep, port_text = location.rpartition(":")
    if not sep or "]" in port_text:   # no port (an IPv6 host in brackets has colons of its own)
        host, port_text = location, str(DASK_DEFAULT_PORT)
    if not host.strip("[]"):
        raise InvalidInput(f"executor {spec!r}: no scheduler host; expected dask://host:port")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise InvalidInput(f"executor {spec!r}: port {port_text!r} is not a number in 1..65535")
    return host, int(port_text)


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse a Dask scheduler address where nothing accepts a TCP connection within ``timeout`` seconds.

    ``inproc://`` addresses (a scheduler in this process) are not probed.

    Raises
    ------
    grids.InvalidInput
        The connection was refused, timed out or the host is unknown.
    """
    if address.startswith("inproc://"):
        return
    host, port = _host_port(address.split("://", 1)[1], address)
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=timeout):
            pass
    except OSError as err:   # refused, unreachable, unknown host, or socket.timeout
        reason = f"no answer in {timeout:g} s" if isinstance(err, TimeoutError) else str(err)
        raise InvalidInput(f"no Dask scheduler reachable at {address} ({reason})") from None


@contextlib.contextmanager
def open_executor(spec: str) -> Iterator[Pool]:
    """The executor for ``serial``, ``local``, ``local:N`` or ``dask://host:port`` (also ``tcp://``,
    ``inproc://``, ``tls://`` addresses).

    Raises
    ------
    grids.InvalidInput
        An unknown spelling, Dask missing, or a scheduler that does not answer.
    """
    if spec == "serial":
        yield Pool(InlineExecutor(), 1)
    elif spec == "local" or spec.startswith("local:"):
        count = local_workers(spec)
        with cf.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield Pool(pool, 2 * count)
    else:
        address = dask_address(spec)
        client_class = dask_client()
        try:
            client = client_class(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as err:
            raise InvalidInput(f"no Dask scheduler reachable at {address} ({err})") from None
        with client:
            yield Pool(client.get_executor(pure=False), 2 * max(1, sum(client.nthreads().values())),
                       lambda: _worker_count(client))


def dask_client() -> type:
    try:
        from distributed import Client
    except ImportError:
        raise InvalidInput("a Dask executor needs dask[distributed]: pip install 'dask[distributed]'") from None
    return Client


def _worker_count(client: Any) -> int:
    try:
        return len(client.nthreads())
    except (OSError, TimeoutError):   # the scheduler itself is gone: no worker either
        return 0
