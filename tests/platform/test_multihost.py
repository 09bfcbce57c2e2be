"""Scale-out across hosts: network namespaces created by the test stand in for machines.

A bridge and four veth links of the test's own (10.231.N.0/24): PostgreSQL (TCP, password) and Redis
listen on the bridge address; the web role and the scheduler run in a "web" namespace, the worker
role in two "worker host" namespaces. 40 analyses across 8 organisations of different plans are
triggered through the web host's API; one worker host is killed (SIGKILL to every process in its
namespace) in the middle; the sweeper (stale threshold shortened) re-queues its runs and the other
host completes them. Every run ends completed, each organisation's concurrency limit holds at every
sample, and every run stores exactly the findings it reports.

Needs root (``ip netns``); skips where namespaces cannot be created. Only the addresses it creates
are used.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.analysis.conftest import many_modules_repo
from tests.asgi import ROOT, wait_for_health
from tests.pgserver import TcpPostgres, tcp_postgres

pytestmark = [pytest.mark.slow]

HOSTS = ("web", "w1", "w2")
PLANS = ["free", "free", "pro", "pro", "pro", "enterprise", "enterprise", "enterprise"]
LIMITS = {"free": 1, "pro": 3, "enterprise": 10}
# 40 in all: the free plan allows 2 analyses an hour.
RUNS_PER_PLAN = {"free": 2, "pro": 6, "enterprise": 6}

_SETUP = """
import json, os
from accounts import services as accounts
from analysis import services as analysis
from benchmarks._shared import build_schema
from django_q.models import Schedule
from django.utils import timezone

build_schema()
spec = json.loads(os.environ["MULTIHOST_SPEC"])
out = []
for i, (plan, runs) in enumerate(spec["orgs"]):
    org, _ = accounts.organization_get_or_create(slug=f"org{i}", name=f"Org {i}", plan=plan)
    _, key = accounts.apikey_create(organization=org, created_by=accounts.service_user_for(org), name="k", role="owner")
    repos = [str(analysis.repository_create(organization=org, name=f"r{j}", clone_url=spec["source"]).pk) for j in range(runs)]
    out.append({"org": str(org.pk), "plan": plan, "key": key, "repos": repos})
# The sweeper, as the migrations schedule it (the schema here is built from the models).
Schedule.objects.create(func="analysis.tasks.analysis_sweep_task", schedule_type=Schedule.MINUTES, minutes=1,
                        next_run=timezone.now())
print(json.dumps(out))
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@contextmanager
def network(tag: str) -> Iterator[dict[str, str]]:
    """A bridge with an address in the root namespace and one namespace per host behind it;
    yields {"services": bridge address, host: its address}."""
    used = subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True).stdout
    subnet = next(f"10.231.{n}" for n in range(10, 250) if f"10.231.{n}." not in used)
    bridge = f"rpb{tag}"
    try:
        _ip("netns", "add", f"rpt-{tag}-probe")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"network namespaces cannot be created here ({getattr(exc, 'stderr', exc)}): needs root and `ip`")
    _ip("netns", "del", f"rpt-{tag}-probe")
    addresses = {"services": f"{subnet}.1"}
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for i, host in enumerate(HOSTS):
            ns, outer, inner = f"rpt-{tag}-{host}", f"rpv{tag}{i}a", f"rpv{tag}{i}b"
            _ip("netns", "add", ns)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns)
            _ip("link", "set", outer, "master", bridge, "up")
            _ip("-n", ns, "addr", "add", f"{subnet}.{10 + i}/24", "dev", inner)
            _ip("-n", ns, "link", "set", inner, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            addresses[host] = f"{subnet}.{10 + i}"
        yield addresses
    finally:
        for host in HOSTS:
            subprocess.run(["ip", "netns", "del", f"rpt-{tag}-{host}"], capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def namespace_pids(ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def kill_host(ns: str) -> int:
    """Every process of the host at once, as a power cut would."""
    pids = namespace_pids(ns)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


class Sampler(threading.Thread):
    """Counts running analyses per organisation every 50 ms, straight from PostgreSQL."""

    def __init__(self, server: TcpPostgres) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.samples = 0
        self.peaks: dict[str, int] = {}

    def run(self) -> None:
        with self.server.connect(self.server.database) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT organization_id::text, count(*) FROM analysis_analysisrun WHERE status = 'running' GROUP BY 1"
                ).fetchall()
                for org, n in rows:
                    self.peaks[org] = max(self.peaks.get(org, 0), n)
                self.samples += 1
                self.stop.wait(0.05)


def test_two_worker_hosts_one_killed_every_analysis_completes_within_limits(tmp_path: Path):
    tag = str(os.getpid() % 10000)
    source = many_modules_repo(tmp_path / "src", 300)
    with ExitStack() as stack:
        net = stack.enter_context(network(tag))
        pg = stack.enter_context(tcp_postgres(net["services"], 55432))
        redis_port, redis_password = 56379, os.urandom(12).hex()
        redis = subprocess.Popen(
            ["redis-server", "--bind", net["services"], "--port", str(redis_port), "--requirepass", redis_password]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        stack.callback(lambda: (redis.terminate(), redis.wait(10)))
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("REPOTOIRE_DB_NAME", "REDIS_URL")},
            "REPOTOIRE_ENV": "test",
            "DATABASE_URL": pg.url(),
            "REDIS_URL": f"redis://:{redis_password}@{net['services']}:{redis_port}/0",
            "REPOTOIRE_ALLOW_LOCAL_REPOS": "true",
            "REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE": "false",
            "REPOTOIRE_BACKGROUND_CLUSTER": "",
            "Q_WORKERS": "2",
            "REPOTOIRE_DB_POOL_MAX_SIZE": "5",
            # A dead host's runs are noticed after 8 s without a heartbeat; lost queue messages are
            # sent again after 15 s; the scheduler looks every 5 s.
            "REPOTOIRE_ANALYSIS_HEARTBEAT_SECONDS": "1",
            "REPOTOIRE_ANALYSIS_STALE_SECONDS": "8",
            "REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS": "15",
            "REPOTOIRE_SCHEDULER_INTERVAL": "5",
        }
        spec = {"source": str(source), "orgs": [(plan, RUNS_PER_PLAN[plan]) for plan in PLANS]}
        setup = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", _SETUP],
            cwd=ROOT,
            env={**env, "MULTIHOST_SPEC": json.dumps(spec)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        orgs = json.loads(setup.stdout.strip().splitlines()[-1])

        logs = tmp_path / "logs"
        logs.mkdir()
        hosts: dict[str, list[subprocess.Popen]] = {}

        def start(host: str, role: str, **extra: str) -> subprocess.Popen:
            log = open(logs / f"{host}-{role}.log", "w")  # noqa: SIM115 - closed with the stack
            stack.callback(log.close)
            proc = subprocess.Popen(
                ["ip", "netns", "exec", f"rpt-{tag}-{host}", sys.executable, "-m", "repotoire.run", role],
                cwd=ROOT,
                env={**env, **extra, "REPOTOIRE_WORKSPACE_DIR": str(tmp_path / f"workspace-{host}")},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            hosts.setdefault(host, []).append(proc)
            return proc

        stack.callback(lambda: [kill_host(f"rpt-{tag}-{h}") for h in HOSTS])
        web = start("web", "web", HOST=net["web"], PORT="8000", ALLOWED_HOSTS=net["web"])
        start("web", "scheduler")
        start("w1", "worker")
        start("w2", "worker")
        base = f"http://{net['web']}:8000"
        wait_for_health(base, web, logs / "web-web.log", timeout=120)

        sampler = Sampler(pg)
        sampler.start()
        stack.callback(sampler.stop.set)
        run_ids: list[str] = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for org in orgs:
                for repo in org["repos"]:
                    response = client.post(
                        "/api/v1/analysis/trigger", json={"repository_id": repo}, headers={"X-API-Key": org["key"]}
                    )
                    assert response.status_code == 202, response.text
                    run_ids.append(response.json()["id"])
        assert len(run_ids) == 40

        with pg.connect(pg.database) as db:

            def statuses() -> dict[str, int]:
                rows = db.execute("SELECT status, count(*) FROM analysis_analysisrun GROUP BY 1").fetchall()
                return dict(rows)

            # Kill worker host 1 while it is in the middle of analyses.
            deadline = time.monotonic() + 180
            while statuses().get("completed", 0) < 6 or statuses().get("running", 0) < 3:
                assert time.monotonic() < deadline, statuses()
                time.sleep(0.1)
            killed = kill_host(f"rpt-{tag}-w1")
            assert killed >= 5  # supervisor, cluster master, sentinel, pusher, monitor, workers
            at_kill = statuses()

            deadline = time.monotonic() + 300
            while statuses().get("completed", 0) < 40:
                current = statuses()
                assert not set(current) - {"queued", "running", "completed"}, current
                assert time.monotonic() < deadline, (current, at_kill, (logs / "w2-worker.log").read_text()[-3000:])
                time.sleep(0.5)
            sampler.stop.set()
            sampler.join()

            runs = db.execute(
                "SELECT r.id::text, r.organization_id::text, r.attempts, (r.findings_counts->>'total')::int, "
                "(SELECT count(*) FROM findings_findingoccurrence o WHERE o.run_id = r.id) "
                "FROM analysis_analysisrun r"
            ).fetchall()
            findings_per_repo = db.execute("SELECT repository_id, count(*) FROM findings_finding GROUP BY 1").fetchall()

    requeued = sum(1 for r in runs if r[2] == 2)
    print(
        f"40 runs completed; killed host: {killed} processes with {at_kill.get('running', 0)} runs running;"
        f" {requeued} runs claimed twice; {sampler.samples} samples; peaks by plan:"
        f" {sorted((o['plan'], sampler.peaks.get(o['org'], 0)) for o in orgs)}"
    )
    assert sorted(r[0] for r in runs) == sorted(run_ids)
    # No finding lost or duplicated: each run stores exactly what it reports, the same for every
    # copy of the same code, and each repository holds one finding per fingerprint.
    totals = {r[3] for r in runs}
    assert len(totals) == 1 and totals.pop() > 0
    assert all(r[3] == r[4] for r in runs)
    assert len(findings_per_repo) == 40 and {n for _, n in findings_per_repo} == {runs[0][3]}
    # The killed host's runs were claimed again (by the surviving host).
    assert requeued >= 1, (at_kill, [r[2] for r in runs])
    # Each organisation's concurrency limit held at every sample.
    assert sampler.samples > 100
    for org in orgs:
        assert 1 <= sampler.peaks.get(org["org"], 0) <= LIMITS[org["plan"]], (org["plan"], sampler.peaks.get(org["org"]))
    enterprise_peak = max(sampler.peaks[o["org"]] for o in orgs if o["plan"] == "enterprise")
    assert enterprise_peak >= 2  # several hosts' workers really ran one organisation's runs side by side
