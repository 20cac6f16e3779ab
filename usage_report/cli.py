"""The usage report: the saved queries' answers as tables, PNG charts and an HTML page, from Athena or local files.

All of it is public (the weekly workflow prints it to the Actions log and keeps the page as an artifact), so
there is one mode: every answer is made public (usage_report/public_answers.py) before anything prints or draws it,
and the stack ids stay in Athena, in the saved queries' own answers.
"""

import argparse
import datetime
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from contract.products import DEFAULT_PRODUCT_ID, Product, builtin_ids
from usage_report import charts, text_tables
from usage_report.errors import ReportError
from usage_report.html_report import write_html
from usage_report.product_parts import PartAnswers, load_products, report_parts
from usage_report.progress import Progress
from usage_report.public_answers import DeploymentNumbers
from usage_report.results import QueryResult
from usage_report.sections import SECTIONS, TABLE_ONLY
from usage_report.summary import SUMMARY_QUERIES
from usage_report.visible_text import visible_lines

EXAMPLES = """examples:
  python -m usage_report --stack prod                       # names from the stack's outputs, via the Pulumi CLI
  python -m usage_report --database D --workgroup W --region us-east-1
  python -m usage_report --local demo-output/warehouse --charts charts/   # after `make demo`
  python -m usage_report --local demo-output/warehouse --html report.html  # one self-contained page
  python -m usage_report --local demo-output/warehouse --product lunasec-tokenizer \
      --product tooling/demo/acme-widgets.json --html report.html   # a part per product, as `make demo` does
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m usage_report",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    athena = parser.add_argument_group("Athena (a deployed stack)")
    athena.add_argument("--stack", help="Pulumi stack whose outputs name the database and workgroup")
    athena.add_argument("--database", help="Glue database (overrides the stack output)")
    athena.add_argument("--workgroup", help="Athena workgroup (overrides the stack output)")
    athena.add_argument("--region", help="AWS region (default: the stack's aws:region, else the AWS default)")
    athena.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop a query still running after this long (default: %(default)s)",
    )
    athena.add_argument("--pulumi", default="pulumi", metavar="PATH", help="the Pulumi CLI to run")
    local = parser.add_argument_group("offline")
    local.add_argument(
        "--local",
        type=Path,
        metavar="DIR",
        help="run the same saved queries with DuckDB on a folder of delivered objects",
    )
    local.add_argument(
        "--today",
        type=datetime.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="with --local: the day the queries' windows end before (default: today, UTC)",
    )
    parser.add_argument("--charts", type=Path, metavar="DIR", help="also write one PNG chart per section here")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="PATH",
        help="also write one self-contained HTML page: a summary, then each section's chart and table",
    )
    parser.add_argument(
        "--product",
        action="append",
        metavar="ID|PATH",
        help="report this product's saved queries, as a stack naming it saves them (repeatable, in this order): a "
        "built-in id or the path of a catalogue entry (docs/products.md). Default: the products the --stack's "
        "Pulumi.<stack>.yaml names; none named: the saved queries as released (with --local, refused when the objects "
        "hold another product's reports)",
    )
    parser.add_argument(
        "--section",
        action="append",
        choices=list(SECTIONS),
        metavar="NAME",
        help=f"only these sections (repeatable): {', '.join(SECTIONS)}",
    )
    return parser


def _check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    athena_flags = [flag for flag in ("stack", "database", "workgroup", "region") if getattr(args, flag)]
    if args.local and athena_flags:
        parser.error(f"--local runs offline; it cannot be combined with --{', --'.join(athena_flags)}")
    if not args.local and not args.stack and not (args.database and args.workgroup):
        parser.error("say where the data is: --stack NAME, --database and --workgroup, or --local DIR")
    if args.today and not args.local:
        parser.error("--today only applies to --local (Athena's current_date is its own)")
    if args.local and not args.local.is_dir():
        parser.error(f"--local {args.local}: no such directory")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")


def _catalogue(args: argparse.Namespace) -> Optional[tuple[Product, ...]]:
    """The products the report covers: --product (paths from here), else the --stack's own (paths from the project
    folder, as the program reads them), else None."""
    from usage_report.stack_outputs import PROJECT_DIR, stack_products

    if args.product:
        return load_products(args.product, Path.cwd())
    if args.stack:
        return load_products(stack_products(args.stack, PROJECT_DIR), PROJECT_DIR)
    if args.local:
        _refuse_several_products(args.local)
    return None


def _refuse_several_products(warehouse_dir: Path) -> None:
    """The report as released reads every line as the default product's: on objects of several products, that would
    sum their counters together. Only --product can say which entries the other ids are."""
    from usage_report.local_warehouse import products_delivered

    found = products_delivered(warehouse_dir)
    if found and found != [DEFAULT_PRODUCT_ID]:
        named = " ".join(f"--product {p if p in builtin_ids() else f'path/to/{p}.json'}" for p in found)
        raise ReportError(
            f"{warehouse_dir} holds reports of {'several products' if len(found) > 1 else 'another product'} "
            f"({', '.join(found)}): name the ones to report with --product ID|PATH, a built-in id or the path of the "
            f"product's catalogue entry (e.g. {named})"
        )


Runner = Callable[[str, str], QueryResult]


def _athena_runner(args, progress: Progress, clock, sleep) -> tuple[Runner, str]:
    import boto3

    from usage_report.athena_runner import AthenaQueryRunner
    from usage_report.stack_outputs import resolve_names

    names = resolve_names(
        stack=args.stack, database=args.database, workgroup=args.workgroup, region=args.region, pulumi=args.pulumi
    )
    source = f"Athena workgroup {names.workgroup}, database {names.database}" + (
        f", region {names.region}" if names.region else ""
    )
    progress.note(source)
    client = boto3.client("athena", region_name=names.region)
    runner = AthenaQueryRunner(
        client,
        workgroup=names.workgroup,
        database=names.database,
        progress=progress,
        clock=clock,
        sleep=sleep,
        timeout_seconds=args.timeout,
    )
    return runner.run, source


def _local_runner(
    warehouse_dir: Path, today: datetime.date | None, progress: Progress, catalogue: Optional[Sequence[Product]]
) -> tuple[Runner, str]:
    from usage_report.local_warehouse import run_locally

    source = f"DuckDB on the delivered objects under {warehouse_dir}"
    progress.note(source + (f", as of {today}" if today else ""))
    if catalogue is None:
        # The local runner reads the SQL from contract/queries/ by name itself.
        return (lambda name, sql: run_locally(name, warehouse_dir, today)), source
    # A stack naming its products has one table for them all: the objects are read as that table, for each SQL.
    return (lambda name, sql: run_locally(name, warehouse_dir, today, sql=sql, catalogue=catalogue)), source


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def main(
    argv: list[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime.datetime] = _utc_now,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_arguments(parser, args)
    progress = Progress(stderr)
    section_names = args.section or list(SECTIONS)
    # The page's summary needs its queries even when --section leaves them out of the tables.
    query_names = section_names + [name for name in SUMMARY_QUERIES if args.html and name not in section_names]
    started = now()
    try:
        catalogue = _catalogue(args)
        parts = [(part, part.saved_queries(query_names)) for part in report_parts(catalogue)]
        if args.local:
            run, source = _local_runner(args.local, args.today, progress, catalogue)
        else:
            run, source = _athena_runner(args, progress, clock, sleep)
        deployments = DeploymentNumbers()
        answered = []
        for part, sql_by_name in parts:
            answers = {}
            for name in query_names:
                saved_name = part.saved_name(name)
                result = answers[name] = deployments.public(run(saved_name, sql_by_name[name]))
                if name not in section_names:
                    continue
                stdout.write(text_tables.render(part.title(name), result) + "\n")
                stdout.flush()
                if args.charts and name in TABLE_ONLY:
                    progress.note(f"{saved_name}: a table of findings, no chart")
                elif args.charts:
                    series = charts.series_of(result)
                    if series is None:
                        progress.note(f"{saved_name}: nothing to chart (no dated numbers)")
                    else:
                        path = charts.write_chart(args.charts / f"{saved_name}.png", part.title(name), series)
                        progress.note(f"chart: {path}")
            answered.append(PartAnswers(part, answers, sql_by_name))
        if args.html:
            # Athena's current_date is the UTC day the queries ran; --local pins it with --today.
            today = args.today if args.local and args.today else started.date()
            path = write_html(
                args.html,
                parts=answered,
                section_names=section_names,
                source=source,
                today=today,
                generated_at=started,
            )
            progress.note(f"html: {path}")
    except ReportError as error:
        stderr.write(f"error: {visible_lines(str(error))}\n")
        return 1
    except (BotoCoreError, ClientError) as error:
        # botocore's errors (no credentials, access denied, unknown workgroup) say what is wrong already.
        stderr.write(f"error: AWS: {visible_lines(str(error))}\n")
        return 1
    return 0
