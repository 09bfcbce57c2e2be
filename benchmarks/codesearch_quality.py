"""Code search quality and speed on a real project (requests' source, as installed in .venv).
Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.codesearch_quality [--keep] [--project PATH]

1. index: the engine's facts of the project → chunks (``codesearch.chunking``) → rows
   (``codesearch_sync_chunks``) → embeddings with the local model (``codesearch_embed_chunks``):
   chunk count, time per stage, local embedding throughput (chunks/s);
2. retrieval quality of 36 labelled natural-language queries (each with the function(s) a developer
   would want): recall@10 and MRR for vector-only, full-text-only and hybrid (RRF) retrieval,
   through ``codesearch.selectors.code_search`` exactly as the API runs it.

Runs in its own database (``REPOTOIRE_DB_NAME``, default ``bench_codesearch``), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_codesearch")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("REPOTOIRE_EMBEDDING_BACKEND", "local")
sys.path.insert(0, str(ROOT))

# query -> qualified names that answer it (any of them counts as a hit)
QUERIES: list[tuple[str, list[str]]] = [
    ("where is the Cookie header built for an outgoing request", ["requests.cookies.get_cookie_header"]),
    ("turn a plain dict into a cookie jar", ["requests.cookies.cookiejar_from_dict"]),
    ("combine two sets of cookies", ["requests.cookies.merge_cookies"]),
    ("convert a Morsel object into a cookie", ["requests.cookies.morsel_to_cookie"]),
    ("store the cookies a server response set", ["requests.cookies.extract_cookies_to_jar"]),
    ("compute the digest authentication header", ["requests.auth.HTTPDigestAuth.build_digest_header"]),
    ("build the value of a basic auth header from username and password", ["requests.auth._basic_auth_str"]),
    ("retry the request with credentials after a 401 challenge", ["requests.auth.HTTPDigestAuth.handle_401"]),
    ("raise an error when the response status is 4xx or 5xx", ["requests.models.Response.raise_for_status"]),
    ("decode the response body as JSON", ["requests.models.Response.json"]),
    ("read the body of the response in chunks while streaming", ["requests.models.Response.iter_content"]),
    ("iterate over the response one line at a time", ["requests.models.Response.iter_lines"]),
    (
        "guess the character encoding of the response content",
        ["requests.models.Response.apparent_encoding", "requests.utils.get_encoding_from_headers"],
    ),
    ("parse the Link header into a list of links", ["requests.utils.parse_header_links", "requests.models.Response.links"]),
    ("validate and normalise the URL before sending", ["requests.models.PreparedRequest.prepare_url"]),
    (
        "encode the form data or files of a multipart body",
        ["requests.models.RequestEncodingMixin._encode_files", "requests.models.PreparedRequest.prepare_body"],
    ),
    ("set the Content-Length header of the request body", ["requests.models.PreparedRequest.prepare_content_length"]),
    ("follow HTTP redirects returned by the server", ["requests.sessions.SessionRedirectMixin.resolve_redirects"]),
    (
        "should the Authorization header be removed when redirecting to another host",
        ["requests.sessions.SessionRedirectMixin.should_strip_auth", "requests.sessions.SessionRedirectMixin.rebuild_auth"],
    ),
    ("change POST to GET after a 303 See Other", ["requests.sessions.SessionRedirectMixin.rebuild_method"]),
    ("pick the transport adapter that handles a given URL prefix", ["requests.sessions.Session.get_adapter"]),
    ("register a transport adapter for a URL prefix", ["requests.sessions.Session.mount"]),
    (
        "merge per-request settings with the session defaults",
        ["requests.sessions.merge_setting", "requests.sessions.Session.merge_environment_settings"],
    ),
    ("verify the TLS certificate of the server", ["requests.adapters.HTTPAdapter.cert_verify"]),
    ("create a connection pool manager for a proxy", ["requests.adapters.HTTPAdapter.proxy_manager_for"]),
    ("send the prepared request over urllib3 and handle timeouts", ["requests.adapters.HTTPAdapter.send"]),
    ("turn a urllib3 response into a Response object", ["requests.adapters.HTTPAdapter.build_response"]),
    (
        "decide whether a host should bypass the proxy because of no_proxy",
        ["requests.utils.should_bypass_proxies", "requests.utils.proxy_bypass"],
    ),
    (
        "read the proxy settings from environment variables",
        ["requests.utils.get_environ_proxies", "requests.utils.resolve_proxies"],
    ),
    ("look up credentials for a host in the .netrc file", ["requests.utils.get_netrc_auth"]),
    (
        "check whether an IP address is inside a network given in CIDR notation",
        ["requests.utils.address_in_network", "requests.utils.is_valid_cidr"],
    ),
    ("work out the length of a file-like body", ["requests.utils.super_len"]),
    (
        "reject header values containing newlines",
        ["requests.utils.check_header_validity", "requests.utils._validate_header_part"],
    ),
    ("the default User-Agent string sent with requests", ["requests.utils.default_user_agent"]),
    ("detect whether JSON bytes are UTF-8, UTF-16 or UTF-32", ["requests.utils.guess_json_utf"]),
    ("dictionary whose keys ignore case", ["requests.structures.CaseInsensitiveDict"]),
    ("run the registered callback hooks for an event", ["requests.hooks.dispatch_hook"]),
    ("rewind the request body file before resending it", ["requests.utils.rewind_body"]),
]


def default_project() -> Path:
    import requests

    return Path(requests.__file__).resolve().parent


def index_project(project: Path):
    from analysis.engine import analyze
    from codesearch import services
    from codesearch.models import CodeChunk
    from tests.factories import OrganizationFactory, RepositoryFactory

    org = OrganizationFactory(plan="enterprise")
    repo = RepositoryFactory(organization=org, name=project.name)
    t = time.perf_counter()
    result = analyze(str(project), workers=1)
    t_analyze = time.perf_counter() - t
    t = time.perf_counter()
    texts = {p: (project / p).read_text(encoding="utf-8", errors="replace") for p in result.files}
    specs = services.build_chunks(result.files, texts)
    t_chunk = time.perf_counter() - t
    t = time.perf_counter()
    services.codesearch_sync_chunks(repository=repo, run=None, specs=specs)
    t_rows = time.perf_counter() - t
    ids = list(CodeChunk.objects.filter(repository=repo).values_list("id", flat=True))
    from codesearch.embeddings import get_backend

    get_backend().embed(["warm up"])  # model load is not throughput
    t, cpu = time.perf_counter(), time.process_time()
    written = services.codesearch_embed_chunks(chunk_ids=ids)
    t_embed, cpu_embed = time.perf_counter() - t, time.process_time() - cpu
    lines = sum(len(s.content.splitlines()) for s in specs)
    print(f"project: {project} ({len(result.files)} files, {result.lines_analyzed} code lines)")
    print(f"engine analyse: {t_analyze:.2f} s; chunking: {t_chunk:.2f} s; rows + tsvector: {t_rows:.2f} s")
    print(f"chunks: {len(specs)} ({lines} lines of chunk content); embedded: {written}")
    print(
        f"local embedding: {t_embed:.1f} s wall = {written / t_embed:.1f} chunks/s; {cpu_embed:.1f} CPU s = {written / cpu_embed:.1f} chunks per CPU second"
    )
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measuring)")
    return org, repo


def index_timing(project: Path, sample: int) -> None:
    """Time to index a big project (e.g. Django): engine facts, chunks and rows measured in full;
    embedding measured on a random sample of its chunks and extrapolated."""
    import random

    from analysis.engine import analyze
    from codesearch import services
    from codesearch.embeddings import get_backend
    from tests.factories import OrganizationFactory, RepositoryFactory

    org = OrganizationFactory(plan="enterprise")
    repo = RepositoryFactory(organization=org, name=f"big-{project.name}")
    t = time.perf_counter()
    result = analyze(str(project), workers=None)
    t_analyze = time.perf_counter() - t
    t = time.perf_counter()
    texts = {p: (project / p).read_text(encoding="utf-8", errors="replace") for p in result.files}
    specs = services.build_chunks(result.files, texts)
    t_chunk = time.perf_counter() - t
    t = time.perf_counter()
    services.codesearch_sync_chunks(repository=repo, run=None, specs=specs)
    t_rows = time.perf_counter() - t
    picked = random.Random(1).sample(specs, min(sample, len(specs)))
    backend = get_backend()
    backend.embed(["warm up"])
    t, cpu = time.perf_counter(), time.process_time()
    backend.embed([s.embed_text for s in picked])
    t_embed, cpu_embed = time.perf_counter() - t, time.process_time() - cpu
    rate, cpu_rate = len(picked) / t_embed, len(picked) / cpu_embed
    print(f"\n{project}: {len(result.files)} files, {result.lines_analyzed} code lines -> {len(specs)} chunks")
    print(f"engine analyse {t_analyze:.1f} s; chunking {t_chunk:.1f} s; rows + tsvector {t_rows:.1f} s")
    print(
        f"embedding sample of {len(picked)}: {rate:.1f} chunks/s wall, {cpu_rate:.1f} per CPU second -> "
        f"all chunks: {len(specs) / rate / 60:.0f} min at this wall rate, "
        f"{len(specs) / cpu_rate / (os.cpu_count() or 1) / 60:.0f} min with {os.cpu_count()} idle cores"
    )
    print(f"  (load average {os.getloadavg()[0]:.1f})")


def evaluate(org, repo) -> None:
    from codesearch.selectors import code_search

    print(f"\n{len(QUERIES)} labelled queries, top 10")
    print(f"{'mode':8} {'recall@10':>10} {'MRR':>7} {'p50 ms':>8} {'p95 ms':>8}")
    misses: dict[str, list[str]] = {}
    for mode in ("vector", "text", "hybrid"):
        hits, rr, times = 0, [], []
        for query, expected in QUERIES:
            t = time.perf_counter()
            results = code_search(organization=org, query=query, repository=repo, top_k=10, mode=mode, with_findings=False)
            times.append((time.perf_counter() - t) * 1000)
            names = [h.chunk.qualname for h in results]
            rank = next((i for i, n in enumerate(names, start=1) if n in expected), None)
            hits += rank is not None
            rr.append(1.0 / rank if rank else 0.0)
            if rank is None:
                misses.setdefault(mode, []).append(query)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{mode:8} {hits / len(QUERIES):>10.3f} {statistics.mean(rr):>7.3f} {statistics.median(times):>8.1f} {p95:>8.1f}")
    for mode, queries in misses.items():
        print(f"  {mode} missed: {queries}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--big", type=Path, default=None, help="also time indexing this project (e.g. Django's source)")
    parser.add_argument("--embed-sample", type=int, default=256, help="chunks of --big actually embedded")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from benchmarks._shared import build_schema, drop_database

    try:
        build_schema()
        if not args.skip_quality:
            org, repo = index_project(args.project or default_project())
            evaluate(org, repo)
        if args.big:
            index_timing(args.big, args.embed_sample)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
