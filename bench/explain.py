"""Query plans on PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) of the query shapes KB runs in production, at N practices.

    .venv/bin/python bench/explain.py [--practices 10000] [--tag before-0013 --note "…"]

Runs itself again under scripts/with-postgres.sh (a private, throwaway PostgreSQL) unless DATABASE_URL already
names a PostgreSQL database. A database without a search index is prepared as bench/measure.py's prepare() does
(migrate, the demo content, N synthetic practices, the index, VACUUM ANALYZE); one that has it is used as it is.

Every shape is a real call of KB's code, not a copy of its SQL: the search API and the autocomplete API through
django.test.Client, the facet matrix's full build and its update after a write (search.backends.facet_matrix's
matrix_for), a publish through Wagtail with the change log applied by its on-commit drain, the index worker's
drain on an idle log and on a backlog of every practice (rolled back), /readyz's backlog summary, and the home,
practice and region pages rendered (page cache off, so they are really rendered). Each SQL statement the call
sends is explained where it runs, with its parameters, inside the same transaction, through
connection.execute_wrapper: a SELECT with EXPLAIN (ANALYZE, BUFFERS) just before it runs; a write inside a
transaction likewise in a savepoint that is rolled back at once, a write outside one with EXPLAIN alone
(estimated, not run). The scans are read off each plan: Index Scan, Index Only Scan, Bitmap Index Scan, or Seq
Scan; a Seq Scan on a table of more than FLAG_ROWS rows is flagged. Times are EXPLAIN ANALYZE's (timing on, so
somewhat above a plain run's).

Results: bench/results-explain-postgres-<N>[-<tag>].md and .json: the commit, the machine, the load average, the sizes
of the tables, and per shape its statements (the SQL shortened, time, scans, flags) with the plans in full of
those on KB's own tables.
"""

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import load as harness  # noqa: E402  (bench/load.py: machine, load average, git, code fingerprint)

FLAG_ROWS = 5000  # a Seq Scan on a table bigger than this is flagged
OWN_TABLES = ("kb_search_", "practices_")  # KB's own tables: their plans are written in full (plan_shown)
SLOW_MS = 2.0  # in the shapes with many statements (pages, publish), others are listed from this time up
WORD, WORDS, PHRASE = "kielikahvila", "kielikahvila nuorille", '"digitaitojen tuki"'  # bench/measure.py's words
TYPO = "kielikahvla"  # one letter away from kielikahvila: no match, then the typo correction
SCAN = re.compile(
    r"^(?:->\s+)?(?:Parallel )?(?:(?P<seq>Seq Scan) on (?P<seq_table>\w+)"
    r"|(?P<only>Index Only Scan)(?: Backward)? using (?P<only_index>\w+) on (?P<only_table>\w+)"
    r"|(?P<index>Index Scan)(?: Backward)? using (?P<index_index>\w+) on (?P<index_table>\w+)"
    r"|(?P<bitmap>Bitmap Index Scan) on (?P<bitmap_index>\w+)"
    r"|(?P<heap>Bitmap Heap Scan) on (?P<heap_table>\w+))")
ACTUAL = re.compile(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)")


def log(message):
    print(f"[explain {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wrap_if_needed():
    """Run again under scripts/with-postgres.sh unless DATABASE_URL names PostgreSQL already."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    if os.environ.get("KB_EXPLAIN_WRAPPED"):
        sys.exit("bench/explain.py: scripts/with-postgres.sh gave no PostgreSQL (see SKIPPED above)")
    command = [str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, *sys.argv]
    os.execve(command[0], command, {**os.environ, "KB_EXPLAIN_WRAPPED": "1"})


# --- Explaining statements where they run --------------------------------------------------------------

def kind_of(sql: str) -> str:
    first = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return {"SELECT": "read", "WITH": "read", "INSERT": "write", "UPDATE": "write", "DELETE": "write"}.get(first, "")


def shorten(sql: str, limit: int = 160) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= limit else sql[:limit - 1] + "…"


def scans_of(plan: str) -> list[dict]:
    """The scan nodes of a text plan: type, index, table, actual rows (× loops) and, with the rows its
    filter removed, the rows it read."""
    found, current = [], None
    for line in plan.splitlines():
        match = SCAN.match(line.strip())
        if not match:
            if "(cost=" in line:
                current = None  # another node: what follows is its detail
            removed = re.search(r"Rows Removed by Filter: (\d+)", line)
            if removed and current is not None:
                current["read"] += int(removed.group(1)) * current["loops"]
            continue
        for kind, index, table in (("seq", None, "seq_table"), ("only", "only_index", "only_table"),
                                   ("index", "index_index", "index_table"), ("bitmap", "bitmap_index", None),
                                   ("heap", None, "heap_table")):
            if match.group(kind):
                actual = ACTUAL.search(line)
                rows = int(actual.group(1)) * int(actual.group(2)) if actual else None
                current = {"type": match.group(kind), "index": match.group(index) if index else None,
                           "table": match.group(table) if table else None, "rows": rows, "read": rows or 0,
                           "loops": int(actual.group(2)) if actual else 1,
                           "never_executed": "(never executed)" in line}
                found.append(current)
    return found


class Explainer:
    """An execute_wrapper that explains each statement just before it runs."""

    def __init__(self):
        self.statements = []
        self.skipped = 0  # transaction control, SET and the like

    def __call__(self, execute, sql, params, many, context):
        kind = kind_of(sql)
        if kind:
            self.statements.append(self.explain(context["connection"], sql, params, many, kind))
        else:
            self.skipped += 1
        return execute(sql, params, many, context)

    @staticmethod
    def explain(db, sql, params, many, kind) -> dict:
        if many:
            params = next(iter(params), None)
        in_transaction = db.in_atomic_block
        analyze = kind == "read" or in_transaction
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        row = {"sql": sql, "params": shorten(repr(params), 300), "kind": kind, "many": many, "analyzed": analyze,
               "in_transaction": in_transaction}
        with db.connection.cursor() as cursor:  # psycopg's own cursor: no wrapper runs for it
            try:
                if in_transaction:
                    cursor.execute("SAVEPOINT kb_explain")
                cursor.execute(prefix + sql, params)
                plan = "\n".join(line for (line,) in cursor.fetchall())
            except Exception as error:  # noqa: BLE001  (reported with the statement; the real one still runs)
                row["error"] = f"{type(error).__name__}: {str(error).strip()[:300]}"
                plan = ""
            finally:
                if in_transaction:
                    cursor.execute("ROLLBACK TO SAVEPOINT kb_explain")
                    cursor.execute("RELEASE SAVEPOINT kb_explain")
        execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
        planning = re.search(r"Planning Time: ([\d.]+) ms", plan)
        row.update(plan=plan, execution_ms=float(execution.group(1)) if execution else None,
                   planning_ms=float(planning.group(1)) if planning else None, scans=scans_of(plan))
        return row


def captured(run):
    """(run's return value, the statements it sent, each explained)."""
    from django.db import connection

    explainer = Explainer()
    with connection.execute_wrapper(explainer):
        value = run()
    return value, explainer


# --- The shapes ----------------------------------------------------------------------------------------

def shapes(fi_practice, region_fi, region_sv):
    """(key, label, what it is, run, statements listed: all or main) in the order they run. Each run is
    called once unexplained first where the steady state is what production sees (a current matrix)."""
    from django.db import connection, transaction
    from django.test import Client

    from practices.models import PracticePage
    from search import changelog
    from search.backends import facet_matrix

    client = Client(HTTP_HOST="localhost")

    def get(url, expect=200):
        def run():
            response = client.get(url)
            assert response.status_code == expect, (url, response.status_code, response.content[:300])
            return response
        return run

    def api(query):
        return get(f"/api/v1/search/?lang=fi&{query}")

    def matrix_build():
        facet_matrix._matrices.pop("fi", None)  # this process's matrix: the next search builds it
        with connection.cursor() as cursor:
            matrix, queries = facet_matrix.matrix_for(cursor, "fi")
        assert queries == 2, queries
        return len(matrix.positions)

    def publish():
        page = PracticePage.objects.get(pk=fi_practice.pk)
        page.save_revision().publish()  # as an editor's publish: the change log is applied on commit

    def matrix_advance():
        with connection.cursor() as cursor:
            _matrix, queries = facet_matrix.matrix_for(cursor, "fi")
        assert queries == 3, f"expected the matrix brought forward (3 queries), got {queries}"

    def backlog_drain():
        """Every practice's group in the log, as a re-index migration leaves it, then the worker's first
        round (2 groups instead of 200: the same statements) and /readyz's summary; all rolled back."""
        with transaction.atomic():
            keys = list(PracticePage.objects.live().filter(locale__language_code="fi")
                        .values_list("translation_key", flat=True))
            changelog.record(keys)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE kb_search_indexchange")  # the statistics autovacuum would gather
            _value, explainer = captured(lambda: (changelog.drain(limit=2), changelog.backlog()))
            transaction.set_rollback(True)
        return explainer, len(keys)

    return [
        ("search-1", f"search, one word ({WORD})", "the JSON API", api(f"q={WORD}"), "all"),
        ("search-2", f"search, two words ({WORDS})", "the JSON API", api("q=" + WORDS.replace(" ", "+")), "all"),
        ("search-phrase", f"search, quoted phrase ({PHRASE})", "the JSON API",
         api("q=%22" + PHRASE.strip('"').replace(" ", "+") + "%22"), "all"),
        ("search-facets", "search, no text, 2 facets (region=01, theme=language)", "the JSON API",
         api("region=01&theme=language"), "all"),
        ("search-typo", f"search, a typo ({TYPO}): no match, then the corrected word", "the JSON API",
         api(f"q={TYPO}"), "all"),
        ("autocomplete", "autocomplete, a common prefix (kieli)", "the JSON API",
         get("/api/v1/autocomplete/?lang=fi&q=kieli"), "all"),
        ("autocomplete-none", "autocomplete, text no title has (zqxw)", "the JSON API",
         get("/api/v1/autocomplete/?lang=fi&q=zqxw"), "all"),
        ("matrix-build", "facet matrix, full build (fi)", "matrix_for without a matrix: FacetMatrix.build",
         matrix_build, "all"),
        ("publish", "publish a practice; the change log applied on commit", "save_revision().publish()",
         publish, "main"),
        ("matrix-advance", "facet matrix, brought forward after the publish (fi)",
         "matrix_for after a write: FacetMatrix.advance", matrix_advance, "all"),
        ("worker-idle", "index worker round, nothing due; /readyz's backlog summary",
         "changelog.drain(limit=200), changelog.backlog()",
         lambda: (changelog.drain(limit=200), changelog.backlog()), "all"),
        ("worker-backlog", "index worker round on a backlog of every fi practice (rolled back)",
         "changelog.record(every group), then changelog.drain(limit=2), changelog.backlog()", backlog_drain, "all"),
        ("home", "home page (fi): latest practices, theme and region counts", "GET /fi/",
         get("/fi/"), "main"),
        ("practice", "practice page (fi): related practices", f"GET {fi_practice.url}",
         get(fi_practice.url), "main"),
        ("region-fi", f"region page (fi, {region_fi.title}): its practices, page 1", f"GET {region_fi.url}",
         get(region_fi.url), "main"),
        ("region-sv", f"region page (sv, {region_sv.title}): practices and untranslated ones", f"GET {region_sv.url}",
         get(region_sv.url), "main"),
    ]


# --- Tables and the report ------------------------------------------------------------------------------

def table_sizes():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c"
                       " WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace")
        sizes = {name: {"estimated_rows": rows, "bytes": size} for name, rows, size in cursor.fetchall()}
        cursor.execute("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")
        tables_of = dict(cursor.fetchall())
    return sizes, tables_of


def exact_rows(tables):
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def judge(statement, tables_of, rows):
    """Tables, index use and flags of one explained statement."""
    scans = statement["scans"]
    for scan in scans:
        if scan["table"] is None and scan["index"]:
            scan["table"] = tables_of.get(scan["index"])
    statement["tables"] = sorted({scan["table"] for scan in scans if scan["table"]})
    # The table's size at the end, or the rows the scan read (a backlog rolled back since was bigger then).
    statement["seq_flagged"] = sorted({scan["table"] for scan in scans if scan["type"] == "Seq Scan"
                                       and not scan["never_executed"]
                                       and max(rows.get(scan["table"], 0), scan.get("read", 0)) > FLAG_ROWS})
    statement["uses_index"] = any(scan["type"] != "Seq Scan" and scan["type"] != "Bitmap Heap Scan" for scan in scans)


def scan_summary(statement) -> str:
    parts = []
    for scan in statement["scans"]:
        if scan["type"] == "Bitmap Heap Scan":
            continue
        what = {"Seq Scan": "Seq", "Index Scan": "Index", "Index Only Scan": "Index Only",
                "Bitmap Index Scan": "Bitmap"}[scan["type"]]
        where = scan["index"] or scan["table"]
        if scan["type"] == "Seq Scan":
            where = scan["table"]
        rows = "" if scan["rows"] is None else f" ({scan['rows']:,})"
        if scan["type"] == "Seq Scan" and scan["rows"] is not None and scan["read"] > scan["rows"]:
            rows = f" ({scan['rows']:,} of {scan['read']:,} read)"
        parts.append(f"{what} {where}{rows}" + (" [never run]" if scan["never_executed"] else ""))
    return "; ".join(parts) or "no scan"


def own(statement) -> bool:
    return any(table.startswith(OWN_TABLES) for table in statement["tables"]) or \
        re.search(r"\b(?:kb_search_\w+|practices_\w+)", statement["sql"]) is not None


def listed(shape) -> list[dict]:
    """All statements of a small shape; of a page or a publish, those on the search index, flagged or slow."""
    if shape["list"] == "all":
        return shape["statements"]
    return [s for s in shape["statements"] if s["seq_flagged"] or (s["execution_ms"] or 0) >= SLOW_MS
            or s.get("error") or any(table.startswith("kb_search_") for table in s["tables"])]


def plan_shown(shape, statement) -> bool:
    """The plans written in full: flagged ones, and those on KB's own tables of a small shape or taking 1 ms."""
    if not statement["plan"]:
        return False
    return bool(statement["seq_flagged"]) or own(statement) and (
        shape["list"] == "all" or (statement["execution_ms"] or 0) >= 1.0)


def fmt_ms(value):
    return "–" if value is None else f"{value:.2f}"


def markdown(report) -> str:
    machine, code = report["machine"], report["code"]
    lines = [
        f"# PostgreSQL query plans at {report['practices']:,} practices" + (f" ({report['tag']})" if report["tag"] else ""),
        "",
        f"Written by bench/explain.py on {report['date']}: commit {code['git_head'][:12]}"
        + (" with uncommitted changes in " + ", ".join(code["dirty_files"]) if code["dirty"] else "")
        + f" (code fingerprint {code['fingerprint']}); PostgreSQL {report['database_version']}; "
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['memory_gb']} GB, Python {machine['python']}; "
        f"load average {report['load_average_before'][0]} before and {report['load_average_after'][0]} after "
        f"(1 min; {report['load_average_before'][1]} / {report['load_average_after'][1]} over 5 min). "
        + (f"Data prepared by this run in {report['prepare_s']} s." if report["prepare_s"] is not None
           else "Data prepared before the run (bench/measure.py's prepare()).")
        + f" {report['fi_practices']:,} live Finnish practices, {report['all_practices']:,} in all languages.",
    ]
    if report["note"]:
        lines += ["", f"**{report['note']}**"]
    lines += ["", "Every statement is explained where KB's code runs it, with its parameters "
              "(EXPLAIN (ANALYZE, BUFFERS); writes in a rolled-back savepoint, or estimated only outside a "
              "transaction: *est.*). Times are EXPLAIN ANALYZE's execution times. "
              f"**Seq Scan on a table of more than {FLAG_ROWS:,} rows is flagged ⚑.**", "",
              "| table | rows | size |", "|---|--:|--:|"]
    for name, size in sorted(report["tables"].items(), key=lambda item: -item[1]["rows"]):
        if size["rows"] >= 1000 or name.startswith("kb_search_"):
            lines.append(f"| {name} | {size['rows']:,} | {size['bytes'] / 1e6:.1f} MB |")
    lines += ["", "## Summary", "", "| shape | statements | on an index | ⚑ Seq Scans on big tables | "
              "total ms | slowest statement ms |", "|---|--:|--:|---|--:|--:|"]
    for shape in report["shapes"]:
        statements = shape["statements"]
        flagged = sorted({table for s in statements for table in s["seq_flagged"]})
        times = [s["execution_ms"] or 0 for s in statements]
        lines.append(f"| [{shape['label']}](#{shape['key']}) | {len(statements)} | "
                     f"{sum(s['uses_index'] for s in statements)} | {', '.join(flagged) or '–'} | "
                     f"{sum(times):.1f} | {max(times, default=0):.2f} |")
    for shape in report["shapes"]:
        statements = shape["statements"]
        shown = listed(shape)
        lines += ["", f"<a id=\"{shape['key']}\"></a>", f"## {shape['label']}", "",
                  f"{shape['how']}; {len(statements)} statements"
                  + (f" ({shape['note']})" if shape.get("note") else "")
                  + (f", {len(statements) - len(shown)} not listed (each under {SLOW_MS:g} ms, not on the search "
                     "index's tables, no flagged scan; all are in the .json)" if len(shown) < len(statements) else "") + ".",
                  "", "| # | statement | ms | scans (rows out) | |", "|--:|---|--:|---|---|"]
        for statement in shown:
            number = statements.index(statement) + 1
            mark = "⚑ Seq Scan on " + ", ".join(statement["seq_flagged"]) if statement["seq_flagged"] else ""
            if statement.get("error"):
                mark = "not explained: " + statement["error"][:80]
            time_cell = fmt_ms(statement["execution_ms"]) if statement["analyzed"] else "est."
            sql = shorten(statement["sql"], 150).replace("|", "\\|")
            lines.append(f"| {number} | `{sql}` | {time_cell} | {scan_summary(statement).replace('|', '/')} | {mark} |")
        for statement in shown:
            if not plan_shown(shape, statement):
                continue
            number = statements.index(statement) + 1
            plan = statement["plan"].splitlines()
            if len(plan) > 45:
                plan = plan[:45] + [f"… {len(plan) - 45} more lines (in the .json)"]
            lines += ["", f"Statement {number}: `{shorten(statement['sql'], 300)}`", "", "```", *plan, "```"]
    lines += ["", f"Command: `{report['command']}`; run took {report['elapsed_s']:.0f} s."]
    return "\n".join(lines) + "\n"


# --- Main -----------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices (default 10000)")
    parser.add_argument("--tag", default="", help="appended to the results' name and title, e.g. before-0013")
    parser.add_argument("--note", default="", help="a sentence for the header: what is different in this run")
    args = parser.parse_args()
    if args.practices < 1:
        parser.error("--practices ≥ 1")
    wrap_if_needed()

    started, load_before = time.perf_counter(), harness.load_average()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings.dev")
    os.environ["DEBUG"] = "false"  # no query log growing in the connection
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the demo loader's publishes log each of their tasks at INFO
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    from practices.models import PracticePage, RegionPage
    from search.models import SearchDocument

    assert connection.vendor == "postgresql", connection.vendor
    code = {"git_head": harness.git("rev-parse", "HEAD"),
            "dirty_files": harness.git("status", "--porcelain", "--untracked-files=no", "--", "kb", "search",
                                       "practices", "home", "bench").splitlines(),
            "fingerprint": harness.code_fingerprint(ROOT)}
    code["dirty"] = bool(code["dirty_files"])
    code["dirty_files"] = [line.split(None, 1)[-1] for line in code["dirty_files"]]
    prepare_s = None
    if SearchDocument._meta.db_table not in connection.introspection.table_names() \
            or not SearchDocument.objects.exists():
        from measure import prepare

        log(f"preparing {args.practices:,} synthetic practices (migrate, load_demo, generate, VACUUM ANALYZE)")
        prepare_s = prepare(args.practices)["prepare_s"]
    live = PracticePage.objects.live()
    fi_count = live.filter(locale__language_code="fi").count()
    if fi_count < args.practices:
        sys.exit(f"the database has {fi_count} live Finnish practices, fewer than --practices {args.practices}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        database_version = cursor.fetchone()[0]

    # A synthetic practice with themes and target groups (related practices), in Uusimaa (region 01, the
    # region page), that a publish's validation accepts; its region page and that page's Swedish translation.
    region_fi = RegionPage.objects.live().get(locale__language_code="fi", region__code="01")
    region_sv = RegionPage.objects.live().get(locale__language_code="sv", translation_key=region_fi.translation_key)
    fi_practice = None
    for page in (PracticePage.objects.live().child_of(region_fi).filter(themes__isnull=False,
                                                                        target_groups__isnull=False)
                 .distinct().order_by("-path")[:50]):
        try:
            page.full_clean()
        except Exception:  # noqa: BLE001  (some demo pages would not pass: take another)
            continue
        fi_practice = page
        break
    assert fi_practice is not None, "no practice of region 01 passes validation"

    results = []
    with override_settings(KB_PAGE_CACHE_SECONDS=0):  # render the pages, never answer from the page cache
        for key, label, how, run, scope in shapes(fi_practice, region_fi, region_sv):
            log(f"{key}: {label}")
            note = ""
            if key == "worker-backlog":
                explainer, groups = run()
                note = f"{groups:,} groups in the log"
            else:
                if key not in ("matrix-build", "publish", "matrix-advance"):
                    run()  # the steady state: matrix current, caches of labels and sites filled
                _value, explainer = captured(run)
            results.append({"key": key, "label": label, "how": how, "list": scope, "note": note,
                            "statements": explainer.statements, "other_statements": explainer.skipped})

    sizes, tables_of = table_sizes()
    seq_tables = {scan["table"] for shape in results for s in shape["statements"] for scan in s["scans"]
                  if scan["type"] == "Seq Scan" and scan["table"]}
    rows = {name: size["estimated_rows"] for name, size in sizes.items()}
    rows.update(exact_rows(seq_tables & set(sizes)))
    for shape in results:
        for statement in shape["statements"]:
            judge(statement, tables_of, rows)
    report = {
        "practices": args.practices, "tag": args.tag, "note": args.note, "fi_practices": fi_count, "all_practices": live.count(),
        "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["bench/explain.py", *sys.argv[1:]]), "machine": machine(), "code": code,
        "database_version": database_version, "prepare_s": prepare_s, "flag_rows": FLAG_ROWS,
        "load_average_before": load_before, "load_average_after": harness.load_average(),
        "tables": {name: {"rows": rows[name], "bytes": size["bytes"]} for name, size in sizes.items()},
        "shapes": results,
    }
    code["changed_during_run"] = harness.code_fingerprint(ROOT) != code["fingerprint"]
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    name = f"results-explain-postgres-{args.practices}" + (f"-{args.tag}" if args.tag else "")
    (BENCH / f"{name}.md").write_text(markdown(report))
    (BENCH / f"{name}.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    log(f"wrote bench/{name}.md and .json in {report['elapsed_s']:.0f} s")


def machine():
    info = harness.machine()
    meminfo = Path("/proc/meminfo").read_text().split()
    info["memory_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 ** 2, 1)
    return info


if __name__ == "__main__":
    main()
