"""Reindex benchmark: a full rebuild of the search index on N synthetic practices, per backend.

    .venv/bin/python bench/reindex.py [--practices 10000] [--backends sqlite,postgres,elasticsearch]
        [--baseline REV] [--rev REV] [--chunk 100] [--workers 1,2]

Per backend, a child process (under scripts/with-postgres.sh and scripts/with-elasticsearch.sh as
needed) gives each tree measured a fresh database of its own (the trees' schemas may differ), which
that tree's code prepares: migrate, the demo content and N synthetic practices
(practices/demo/synthetic.py, the same seed for every tree: 30 % also in sv and en; its own rebuild
skipped), and a first index build that is not timed, so every timed run replaces a full index as
`manage.py reindex` does. Then each tree rebuilds the whole index in a process of its own:
  - the database index (search.indexing.rebuild_index): seconds, documents, documents/s, and the CPU
    seconds of that process and its builder processes (on a shared machine the wall clock also holds
    other people's work); with --workers 1,2 once per number of builder processes (a tree whose
    rebuild_index has no builders runs once, serially);
  - with Elasticsearch, its part (search.changelog.rebuild_engine: new indexes, copy, alias swap).
--baseline REV measures a `git archive` of REV too, before the tree measured, in the same run on the
same data (generated again in its own database): before and after side by side. --rev REV measures REV instead of the working tree.
--existing-data times one full reindex of the PostgreSQL database DATABASE_URL names as it is (e.g. the
100,000 practices bench/scale.py generated, whose generation takes most of half an hour), with the working
tree's code, under scripts/with-elasticsearch.sh for the elasticsearch backend; nothing is generated, and
the database must hold at least --practices live Finnish practices.
Results: bench/results-reindex.md and .json (written here, never by hand), with the commit, the
machine, its load average and the code measured.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WRAPPERS = {
    "sqlite": [],
    "postgres": [str(ROOT / "scripts/with-postgres.sh")],
    "elasticsearch": [str(ROOT / "scripts/with-postgres.sh"), str(ROOT / "scripts/with-elasticsearch.sh")],
}
DATABASE = {"sqlite": "SQLite", "postgres": "PostgreSQL", "elasticsearch": "PostgreSQL + Elasticsearch"}
GOAL_DOCUMENTS_PER_S = 1000  # issue #16: a full database reindex
GOAL_ENGINE_PRACTICES = (100_000, 600)  # 100,000 practices on Elasticsearch within 10 min

# Run in the measured tree (cwd): the data, with the tree's own code.
PREPARE = """
import json, sys, time
from unittest import mock
from django.core.management import call_command
from practices.demo.loader import load_demo
from practices.demo.synthetic import generate
import search.indexing
started = time.perf_counter()
call_command("migrate", interactive=False, verbosity=0)
load_demo()
with mock.patch.object(search.indexing, "rebuild_index", lambda **kwargs: 0):
    generate({practices}, translated_share=0.3, seed=1, out=sys.stderr)
print(json.dumps({{"prepare_s": round(time.perf_counter() - started, 1)}}))
"""

COUNT_PRACTICES = """
import json
from practices.models import PracticePage
print(json.dumps({"practices": PracticePage.objects.live().filter(locale__language_code="fi").count()}))
"""

# One full reindex, timed; the tree's rebuild_index takes the chunk size in every version measured, the
# number of builder processes since they exist. CPU: this process and its builders (reaped children).
REINDEX = """
import inspect, json, os, resource, time
from django.db import connection
from search.changelog import rebuild_engine
from search.indexing import rebuild_index

def cpu():
    return sum(usage.ru_utime + usage.ru_stime
               for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))

builders = {{"workers": {workers}}} if "workers" in inspect.signature(rebuild_index).parameters else {{}}
load_before, started, cpu_started = os.getloadavg()[0], time.perf_counter(), cpu()
documents = rebuild_index(chunk={chunk}, **builders)
report = {{"documents": documents, "database_s": time.perf_counter() - started, "database_cpu_s": cpu() - cpu_started,
           "workers": builders.get("workers", 1), "vendor": connection.vendor,
           "load_1min_before": round(load_before, 2)}}
if {engine}:
    started, cpu_started = time.perf_counter(), cpu()
    report["engine"] = rebuild_engine()
    report["engine_s"] = time.perf_counter() - started
    report["engine_cpu_s"] = cpu() - cpu_started
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        report["database_version"] = cursor.fetchone()[0]
else:
    report["database_version"] = connection.Database.sqlite_version
report["load_1min_after"] = round(os.getloadavg()[0], 2)
print(json.dumps(report))
"""


def log(message):
    print(f"[reindex {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def git(*args):
    # GIT_OPTIONAL_LOCKS=0: never take the index lock (others work in this tree at the same time).
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    return result.stdout.strip() if result.returncode == 0 else ""


def export(rev, target: Path) -> str:
    """A `git archive` of ``rev`` in ``target``, its messages compiled (labels are indexed); the full hash."""
    full = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not full:
        raise SystemExit(f"unknown git revision {rev!r}")
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", full], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait():
        raise SystemExit(f"git archive {rev} failed")
    subprocess.run([sys.executable, "manage.py", "compilemessages", "--ignore=.venv", "-v0"], cwd=target, check=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.dev"})
    return full


def in_tree(source: Path, code: str, env: dict) -> dict:
    """Run ``code`` with Django set up in ``source`` (its code, this environment with ``env``); its last
    line is JSON."""
    program = ("import os, sys; sys.path.insert(0, os.getcwd()); import django; django.setup()\n" + code)
    result = subprocess.run([sys.executable, "-c", program], cwd=source, text=True, stdout=subprocess.PIPE,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.dev", "DEBUG": "false",
                                 "LOG_LEVEL": "WARNING", **env})
    if result.returncode:
        raise RuntimeError(f"failed in {source} (exit {result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def tree_database(label: str) -> dict:
    """A database (and Elasticsearch index prefix) of the tree's own, next to the environment's."""
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite:"):
        database = url.replace(".sqlite3", f"-{label}.sqlite3")
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as server:
            server.execute(f"CREATE DATABASE kb_{label}")
        database = f"{url.rsplit('/', 1)[0]}/kb_{label}"
    return {"DATABASE_URL": database,
            "ELASTICSEARCH_INDEX_PREFIX": f"{os.environ.get('ELASTICSEARCH_INDEX_PREFIX', 'kb')}_{label}"}


def child(args):
    """Inside the backend's environment: per tree, its own database prepared, then one timed rebuild."""
    trees = json.loads(args.trees)
    engine = bool(os.environ.get("ELASTICSEARCH_URL"))
    report = {"backend": args.backend, "runs": []}
    for tree in trees:
        source = Path(tree["path"])
        if args.existing_data:  # the database as it is: its index already built, nothing generated
            env, prepared = {}, {"prepare_s": None}
            found = in_tree(source, COUNT_PRACTICES, env)["practices"]
            if found < args.practices:
                raise SystemExit(f"--existing-data: the database holds {found:,} live Finnish practices, "
                                 f"not {args.practices:,}")
        else:
            env = tree_database(tree["label"])
            log(f"{args.backend} {tree['label']}: preparing {args.practices:,} practices")
            prepared = in_tree(source, PREPARE.format(practices=args.practices), env)
            log(f"{args.backend} {tree['label']}: first index build (not timed)")
            in_tree(source, REINDEX.format(chunk=args.chunk, engine=engine, workers=max(args.workers)), env)
        measured = set()  # numbers of builders a tree ran with (one, serially, if it has none)
        for workers in args.workers:
            log(f"{args.backend} {tree['label']}: timed reindex, {workers} builder processes")
            run = in_tree(source, REINDEX.format(chunk=args.chunk, engine=engine, workers=workers), env)
            if run["workers"] in measured:
                continue
            measured.add(run["workers"])
            report["runs"].append({"label": tree["label"], "commit": tree["commit"], **prepared, **run})
            log(f"{args.backend} {tree['label']}: {run['documents']:,} documents in {run['database_s']:.1f} s"
                + (f", Elasticsearch {run['engine_s']:.1f} s" if "engine_s" in run else ""))
    Path(args.out).write_text(json.dumps(report, indent=1))


def run_backend(backend, args, trees, workdir):
    out = workdir / f"{backend}.json"
    wrappers = WRAPPERS[backend]
    if args.existing_data:  # DATABASE_URL's server is already running: only Elasticsearch is started
        env = {key: value for key, value in os.environ.items() if key != "ELASTICSEARCH_URL"}
        wrappers = [wrapper for wrapper in wrappers if not wrapper.endswith("with-postgres.sh")]
    else:
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "ELASTICSEARCH_URL"}}
        env["ELASTICSEARCH_INDEX_PREFIX"] = f"kb_bench_reindex_{os.getpid()}"
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    command = [*wrappers, sys.executable, str(Path(__file__).resolve()), "--child", "--backend", backend,
               "--practices", str(args.practices), "--chunk", str(args.chunk),
               "--workers", ",".join(map(str, args.workers)), "--trees", json.dumps(trees),
               "--out", str(out)] + (["--existing-data"] if args.existing_data else [])
    started = time.perf_counter()
    status = subprocess.run(command, cwd=ROOT, env=env).returncode
    if status or not out.exists():
        log(f"{backend}: no results (exit {status}; a wrapper prints SKIPPED when a server is missing)")
        return {"backend": backend, "error": f"exit {status}"}
    return json.loads(out.read_text()) | {"elapsed_s": round(time.perf_counter() - started, 1)}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def rates(run) -> dict:
    figures = {"database_per_s": run["documents"] / run["database_s"],
               "database_per_cpu_s": run["documents"] / run["database_cpu_s"]}
    if "engine_s" in run:
        figures["engine_per_s"] = run["documents"] / run["engine_s"]
    return figures


def markdown(report) -> str:
    info, args = report["machine"], report["arguments"]
    lines = [
        f"## Full reindex: {args['practices']:,} practices",
        "",
        f"Commit {report['commit'][:12]}{' (working tree with uncommitted changes)' if report['dirty'] else ''}; "
        f"machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['platform']}; "
        f"1-min load average {report['load_before_after'][0]} before, {report['load_before_after'][1]} after; "
        f"whole run {report['elapsed_s'] / 60:.1f} min. Chunk: {args['chunk']} translation groups per transaction."
        + (" Data: an existing PostgreSQL database (`--existing-data`), its index built before; nothing generated by "
           "this run." if args.get("existing_data") else ""),
        "",
        "| backend | code | builders | documents | database index s | documents/s | CPU s (reindex and builders) "
        "| documents per CPU s | Elasticsearch s | ES documents/s | load before → after |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for backend in report["backends"]:
        if "error" in backend:
            lines.append(f"| {backend['backend']} | not run: {backend['error']} ||||||||||")
            continue
        for run in backend["runs"]:
            figures = rates(run)
            engine = (f"{run['engine_s']:.1f} | {figures['engine_per_s']:,.0f}" if "engine_s" in run else "– | –")
            lines.append(
                f"| {backend['backend']} ({DATABASE[backend['backend']]} {run['database_version']}) "
                f"| {run['label']} {run['commit'][:12]} | {run.get('workers', 1)} | {run['documents']:,} "
                f"| {run['database_s']:.1f} "
                f"| {figures['database_per_s']:,.0f} | {run['database_cpu_s']:.1f} "
                f"| {figures['database_per_cpu_s']:,.0f} | {engine} "
                f"| {run['load_1min_before']} → {run['load_1min_after']} |")
    lines += [
        "",
        "Each run is a new process rebuilding a full index of "
        + ("the existing database: " if args.get("existing_data") else
           "its own database (the same generated data, indexed once before, untimed): ")
        + "`rebuild_index` (a chunk of groups per transaction, deleting and writing documents, facet rows, "
        "vocabulary counts and full-text rows), then with Elasticsearch `rebuild_engine` (new indexes per language, "
        "bulk copy from the database index, replay, alias swap). documents/s = documents / wall-clock seconds; "
        "documents per CPU s = documents / CPU seconds of the reindex process and its builder processes "
        "(builders: processes reading pages and building documents ahead of the writing one; 1 = serial, the "
        "pages read under each chunk's lock); PostgreSQL's and "
        "Elasticsearch's own work is in the wall clock only. With a load average above the CPU count, other "
        "work shared the CPUs and the wall-clock figures are pessimistic.",
        f"Goals (issue #16): ≥ {GOAL_DOCUMENTS_PER_S:,} documents/s for the database index; the Elasticsearch part "
        f"of {GOAL_ENGINE_PRACTICES[0]:,} practices within {GOAL_ENGINE_PRACTICES[1] // 60} min.",
    ]
    for backend in report["backends"]:
        if "error" in backend:
            continue
        run = max(backend["runs"], key=lambda run: (run["label"] != "before", rates(run)["database_per_s"]))
        documents_per_practice = run["documents"] / args["practices"]
        lines.append(f"- {backend['backend']}, {run['label']}, {run.get('workers', 1)} builders: database index "
                     f"{'met' if rates(run)['database_per_s'] >= GOAL_DOCUMENTS_PER_S else 'NOT met'} "
                     f"({rates(run)['database_per_s']:,.0f} documents/s)"
                     + (f"; Elasticsearch at this rate: {GOAL_ENGINE_PRACTICES[0]:,} practices "
                        f"(~{GOAL_ENGINE_PRACTICES[0] * documents_per_practice:,.0f} documents) in about "
                        f"{GOAL_ENGINE_PRACTICES[0] * documents_per_practice / rates(run)['engine_per_s'] / 60:.1f} min"
                        if "engine_s" in run else "")
                     + (f"; the whole reindex of {args['practices']:,} practices (database index, then Elasticsearch): "
                        f"{(run['database_s'] + run['engine_s']) / 60:.1f} min, goal {GOAL_ENGINE_PRACTICES[1] // 60} min "
                        f"{'met' if run['database_s'] + run['engine_s'] <= GOAL_ENGINE_PRACTICES[1] else 'NOT met'}"
                        if "engine_s" in run and args["practices"] >= GOAL_ENGINE_PRACTICES[0] else "") + ".")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres,elasticsearch")
    parser.add_argument("--baseline", help="also measure this git revision (before), in the same run")
    parser.add_argument("--rev", help="measure this git revision instead of the working tree")
    parser.add_argument("--chunk", type=int, default=100, help="translation groups per transaction")
    parser.add_argument("--workers", type=lambda text: [int(part) for part in text.split(",")],
                        default=sorted({1, len(os.sched_getaffinity(0))}),
                        help="builder processes, one timed reindex per number given (default: 1 and, as "
                             "manage.py reindex, the CPU count)")
    parser.add_argument("--name", default="results-reindex", help="bench/<name>.md and .json")
    parser.add_argument("--existing-data", action="store_true",
                        help="time one reindex of the PostgreSQL database DATABASE_URL names, as it is")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--trees", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if set(backends) - set(WRAPPERS):
        parser.error(f"unknown backends: {', '.join(sorted(set(backends) - set(WRAPPERS)))}")
    if args.existing_data and (args.baseline or args.rev or "sqlite" in backends
                               or not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))):
        parser.error("--existing-data needs DATABASE_URL to name a PostgreSQL database, the postgres or "
                     "elasticsearch backend only, and neither --baseline nor --rev")

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    head = git("rev-parse", "HEAD")
    dirty = not args.rev and bool(git("status", "--porcelain", "--untracked-files=no"))
    with tempfile.TemporaryDirectory(prefix="kb-bench-reindex-") as tmp:
        trees = []
        if args.baseline:
            trees.append({"label": "before", "commit": export(args.baseline, Path(tmp) / "before"),
                          "path": str(Path(tmp) / "before")})
        if args.rev:
            trees.append({"label": "after", "commit": export(args.rev, Path(tmp) / "after"),
                          "path": str(Path(tmp) / "after")})
        else:
            trees.append({"label": "after" if args.baseline else "measured",
                          "commit": head + ("+" if dirty else ""), "path": str(ROOT)})
        reports = []
        for backend in backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            reports.append(run_backend(backend, args, trees, workdir))
    report = {"commit": trees[-1]["commit"].rstrip("+"), "dirty": dirty, "machine": machine(),
              "load_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
              "elapsed_s": round(time.perf_counter() - started, 1),
              "arguments": {"practices": args.practices, "chunk": args.chunk, "baseline": args.baseline,
                            "rev": args.rev, "existing_data": args.existing_data, "workers": args.workers}, "backends": reports}
    text = markdown(report)
    print(text)
    (BENCH / f"{args.name}.md").write_text(text)
    (BENCH / f"{args.name}.json").write_text(json.dumps(report, indent=1))
    log(f"wrote bench/{args.name}.md and .json in {report['elapsed_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
