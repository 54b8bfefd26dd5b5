"""Baseline HTTP throughput of /healthz and the home page, next to a bare Starlette peer."""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import FrameType

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
SETUP_TIMEOUT = 600.0
HTML = "text/html"

# wrk prints durations with these units (see format_time in wrk's units.c).
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
DURATION = r"([\d.]+)(us|ms|s|m|h)\b"


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    workers: int
    threads: int
    connections: int
    duration: int
    warmup: int
    repeat: int
    database_url: str | None


@dataclass(frozen=True)
class Server:
    """A running HTTP server started by this script."""

    name: str
    port: int


@dataclass(frozen=True)
class Endpoint:
    """A path requested under load, with the Accept header a client would send."""

    path: str
    accept: str | None


@dataclass(frozen=True)
class WrkResult:
    """The figures read from one wrk run."""

    requests_per_sec: float
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int


ENDPOINTS = (Endpoint("/healthz", None), Endpoint("/", HTML))


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds first (2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per endpoint; median kept")
    parser.add_argument(
        "--database-url",
        default=None,
        help="existing database to migrate and load the demo into (--reset); default: a "
        "temporary SQLite file",
    )
    args = parser.parse_args(argv)
    for name in ("workers", "threads", "connections", "duration", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    return Options(
        workers=args.workers,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        repeat=args.repeat,
        database_url=args.database_url,
    )


def venv_tool(name: str) -> str:
    """A console script next to this interpreter, else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: run `make install` first")
    return found


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def redact(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def run_setup(command: list[str], env: dict[str, str], cwd: Path) -> None:
    """Run a servicielle command to completion; stop the benchmark if it fails."""
    print(f"$ {shlex.join(command)}", file=sys.stderr)
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=SETUP_TIMEOUT
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}")


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send a signal to the process group this script created for a server."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server and its workers, then kill what is left; bounded in time."""
    if process.poll() is None:
        signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    # Workers of a killed supervisor would outlive it: the whole group goes.
    signal_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"warning: server pid {process.pid} did not exit", file=sys.stderr)


def log_tail(log: Path, lines: int = 30) -> str:
    """The end of a server's log, for error messages."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def get(port: int, endpoint: Endpoint, timeout: float = 2.0) -> tuple[int, int]:
    """Status code and body size of one request, redirects not followed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Accept": endpoint.accept} if endpoint.accept else {}
        connection.request("GET", endpoint.path, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until /healthz answers 200, or fail after READY_TIMEOUT seconds."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log_tail(log)}")
        try:
            if get(port, Endpoint("/healthz", None), timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"/healthz did not answer within {READY_TIMEOUT:.0f} s:\n{log_tail(log)}")


@contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], cwd: Path, port: int
) -> Iterator[Server]:
    """Start a server, wait until it answers, and always stop it afterwards."""
    log = cwd / f"{name}.log"
    print(f"$ {shlex.join(command)}  (log: {log})", file=sys.stderr)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(process, port, log)
        yield Server(name, port)
    finally:
        stop(process)


def to_ms(value: str, unit: str) -> float:
    """A wrk duration in milliseconds."""
    return float(value) * UNIT_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, latency (avg, p50, p99), request and error counts from wrk --latency."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output has no match for {pattern!r}:\n{output}")
        return match

    avg = find(rf"^\s*Latency\s+{DURATION}")
    p50 = find(rf"^\s*50(?:\.0+)?%\s+{DURATION}")
    p99 = find(rf"^\s*99(?:\.0+)?%\s+{DURATION}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_sec=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        latency_avg_ms=to_ms(avg.group(1), avg.group(2)),
        latency_p50_ms=to_ms(p50.group(1), p50.group(2)),
        latency_p99_ms=to_ms(p99.group(1), p99.group(2)),
        requests=int(find(r"^\s*(\d+) requests in").group(1)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(
    wrk: str, options: Options, server: Server, endpoint: Endpoint, seconds: int
) -> WrkResult:
    """Load one endpoint of one server with wrk for some seconds."""
    command = [
        wrk,
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{seconds}s",
        "--latency",
    ]
    if endpoint.accept:
        command += ["-H", f"Accept: {endpoint.accept}"]
    command.append(f"http://{HOST}:{server.port}{endpoint.path}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def median_run(runs: list[WrkResult]) -> WrkResult:
    """The run with the median throughput (the lower one of an even count)."""
    ordered = sorted(runs, key=lambda run: run.requests_per_sec)
    return ordered[(len(ordered) - 1) // 2]


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> str:
    """Total RAM from /proc/meminfo, in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def version(package: str) -> str:
    """An installed distribution's version."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def wrk_version(wrk: str) -> str:
    """The first line wrk prints about itself."""
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def ms(value: float) -> str:
    """A latency for the table."""
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def report(
    options: Options,
    wrk: str,
    database: str,
    load_before: tuple[float, float, float],
    started: datetime.datetime,
    results: dict[tuple[str, str], WrkResult],
    sizes: dict[tuple[str, str], int],
) -> None:
    """Print machine, date, command and the Markdown table of figures."""
    cores = len(os.sched_getaffinity(0))
    load_after = os.getloadavg()
    print()
    print("## HTTP baseline")
    print()
    kernel = f"{platform.system()} {platform.release()}"
    print(f"- machine: {cores} cores (nproc), {cpu_model()}, {memory_gib()} RAM, {kernel}")
    print("- shared machine; the load generator (wrk) runs on it too")
    print(
        f"- software: Python {platform.python_version()}, uvicorn {version('uvicorn')}, "
        f"starlette {version('starlette')}, fastapi {version('fastapi')}, "
        f"servicielle {version('servicielle')}, {wrk_version(wrk)}"
    )
    print(f"- date (UTC): {started:%Y-%m-%d %H:%M}")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(
        f"- load: wrk -t{options.threads} -c{options.connections} -d{options.duration}s "
        f"--latency, {options.warmup} s warm-up, median of {options.repeat} run(s); "
        f"{options.workers} uvicorn worker(s) per server; database {database}"
    )
    print(
        "- load average (1/5/15 min) before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in load_after)
    )
    print()
    print("| endpoint | server | body | req/s | avg latency | p50 | p99 | ratio to peer |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for endpoint in ENDPOINTS:
        peer = results[("peer", endpoint.path)]
        for name, label in (("servicielle", "Servicielle"), ("peer", "bare Starlette")):
            run = results[(name, endpoint.path)]
            ratio = run.requests_per_sec / peer.requests_per_sec
            shown = endpoint.path + (f" (Accept: {endpoint.accept})" if endpoint.accept else "")
            print(
                f"| `{shown}` | {label} | {sizes[(name, endpoint.path)]} B "
                f"| {run.requests_per_sec:,.0f} | {ms(run.latency_avg_ms)} "
                f"| {ms(run.latency_p50_ms)} | {ms(run.latency_p99_ms)} | {ratio:.2f} |"
            )
    problems = [
        f"{name} {path}: {run.non_2xx_3xx} non-2xx/3xx responses, {run.socket_errors} socket errors"
        for (name, path), run in results.items()
        if run.non_2xx_3xx or run.socket_errors
    ]
    if problems:
        print()
        for problem in problems:
            print(f"- warning: {problem}")


def stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so that every started server is stopped."""
    raise SystemExit(143)


def main(argv: Sequence[str] | None = None) -> int:
    """Set up the database, start both servers, load them with wrk and print the report."""
    options = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed. On Debian or Ubuntu: apt-get install -y wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    servicielle = venv_tool("servicielle")
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="servicielle-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        if options.database_url is None:
            url = f"sqlite:///{workdir / 'bench.db'}"
            database = "SQLite (temporary file)"
            demo = [servicielle, "demo"]
        else:
            url = options.database_url
            database = redact(url)
            demo = [servicielle, "demo", "--reset"]
        env = {**os.environ, "SERVICIELLE_DATABASE_URL": url}
        run_setup([servicielle, "migrate"], env, workdir)
        run_setup(demo, env, workdir)

        ours_port, peer_port = free_port(), free_port()
        common = ["--host", HOST, "--workers", str(options.workers)]
        servers = {
            "servicielle": stack.enter_context(
                serving(
                    "servicielle",
                    [servicielle, "serve", *common, "--port", str(ours_port)],
                    env,
                    workdir,
                    ours_port,
                )
            ),
            # Same uvicorn, same options as `servicielle serve` (proxy headers, access log).
            "peer": stack.enter_context(
                serving(
                    "peer",
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "peer_app:app",
                        "--app-dir",
                        str(BENCH_DIR),
                        *common,
                        "--port",
                        str(peer_port),
                        "--proxy-headers",
                        "--log-level",
                        "info",
                    ],
                    env,
                    workdir,
                    peer_port,
                )
            ),
        }

        sizes: dict[tuple[str, str], int] = {}
        for name, server in servers.items():
            for endpoint in ENDPOINTS:
                status, size = get(server.port, endpoint, timeout=10.0)
                if status != 200:
                    raise SystemExit(f"{name} {endpoint.path} answered {status}, not 200")
                sizes[(name, endpoint.path)] = size

        runs: dict[tuple[str, str], list[WrkResult]] = {}
        for round_number in range(options.repeat):
            # Interleaved, so that a burst of noise on the shared machine hits both sides.
            for endpoint in ENDPOINTS:
                for name, server in servers.items():
                    if round_number == 0 and options.warmup:
                        run_wrk(wrk, options, server, endpoint, options.warmup)
                    print(f"run {round_number + 1}: {name} {endpoint.path}", file=sys.stderr)
                    run = run_wrk(wrk, options, server, endpoint, options.duration)
                    runs.setdefault((name, endpoint.path), []).append(run)

    results = {key: median_run(values) for key, values in runs.items()}
    report(options, wrk, database, load_before, started, results, sizes)
    spread = {
        key: statistics.pstdev(r.requests_per_sec for r in values) for key, values in runs.items()
    }
    if options.repeat > 1:
        print()
        print(
            "Spread of req/s across runs (population stdev): "
            + ", ".join(f"{name} {path} ±{value:,.0f}" for (name, path), value in spread.items())
        )
    failed = any(run.non_2xx_3xx or run.requests == 0 for run in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
