"""`python -m scoring.train DATA_DIR`: a folder of Personalize CSV files becomes a local dataset group.

Validates the files (scoring.importing), trains the local model (scoring.training), measures
it with Personalize's evaluation protocol beside the popularity baseline, and writes a new
local dataset group (scoring.user_groups) that the console and `make serve` list.

    python -m scoring.train DATA_DIR [--name NAME] [--out DIR] [--replace] [--refit]
                                     [--domain VIDEO_ON_DEMAND|ECOMMERCE]

Exit codes: 0 trained, 2 the data or the name was refused (problems on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from scoring import arns, group_files, importing, paths, recipes, user_groups
from scoring.evaluation import protocol_description
from scoring.training import DIM, EPOCHS, format_metrics


def _printer(stream: TextIO) -> Callable[[float, str], None]:
    """Progress lines: redrawn in place on a terminal, one line per 10 % (and stage) otherwise."""
    last: list[tuple[str, int]] = [("", -1)]
    tty = stream.isatty()

    def show(fraction: float, what: str) -> None:
        percent = int(fraction * 100)
        stage, shown = last[0]
        if tty:
            stream.write(f"\r{what:<28}{fraction:6.1%}" + ("\n" if fraction >= 1 else ""))
        elif what != stage or percent // 10 > shown // 10:
            stream.write(f"{what:<28}{percent:3d}%\n")
        else:
            return
        last[0] = (what, percent)
        stream.flush()

    return show


def _print_notes(report: importing.ImportReport) -> None:
    """The odd rows the import handled, one line each, on stdout (they are not errors)."""
    if report.total_notes:
        print(f"{report.total_notes:,} odd row(s), imported as follows "
              "(Personalize does not document these cases; see README):")
        for line in report.note_lines():
            print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 trained, 2 the data or the name was refused (problems on stderr)."""
    parser = argparse.ArgumentParser(prog="python -m scoring.train", description=(
        "Validate Personalize-format CSV files in DATA_DIR (interactions.csv, optional items.csv "
        "and users.csv), train the local model, evaluate it with Personalize's protocol and "
        "write a local dataset group (default: data/<name>) that the console lists. When the "
        "group folder is DATA_DIR itself, model.npz, campaigns.json and schemas.json are "
        "rewritten, and a CSV file only where the import changed an odd row of it."))
    parser.add_argument("data_dir", metavar="DATA_DIR", type=Path)
    parser.add_argument("--name", help="dataset group name (default: the folder name of --out, "
                        "else of DATA_DIR)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help=f"group folder to write (default: {paths.DATA_ROOT}/<name>)")
    parser.add_argument("--replace", action="store_true", help="replace an existing group")
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit", action="store_true",
                        help="after the hold-out run, train again on every interaction to serve")
    parser.add_argument("--domain", choices=recipes.DOMAINS,
                        help="make it a domain dataset group: it also gets the domain's recommenders "
                        "(Top picks for you, Because you watched X, ... / Recommended for you, ...)")
    args = parser.parse_args(argv)
    source = Path(args.data_dir)
    # The group is named after its folder: --out's, else DATA_DIR's.
    name = args.name if args.name is not None else \
        user_groups.suggested_name(Path(args.out or source).resolve().name)
    out = Path(args.out) if args.out is not None else paths.DATA_ROOT / name
    settings = user_groups.TrainingSettings(dim=args.dim, epochs=args.epochs, seed=args.seed,
                                            refit=args.refit, domain=args.domain)
    progress = _printer(sys.stdout)
    try:
        if out.resolve() == source.resolve():
            created = user_groups.retrain_in_place(source, settings=settings, progress=progress)
            _print_notes(created.report)
        else:
            prepared = importing.prepare_directory(source)
            report = prepared.report
            if not report.ok:
                raise user_groups.InvalidData(report)
            print(report.summary())
            _print_notes(report)
            created = user_groups.create_group(prepared.files, name, out=out, overwrite=args.replace,
                                               settings=settings, progress=progress,
                                               origin=str(source.resolve()), prepared=prepared)
    except user_groups.InvalidData as exc:
        report = exc.report
        print(f"error: {source} was refused: {report.total_problems:,} problem(s), nothing was "
              "trained.", file=sys.stderr)
        for line in report.lines():
            print(f"  {line}", file=sys.stderr)
        return 2
    except user_groups.GroupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(protocol_description() + ":")
    print(format_metrics(created.metrics, created.baseline))
    print(f"trained in {created.training_seconds:.1f} s; wrote the dataset group "
          f"{created.name!r} to {created.path}")
    print(f"campaign: {created.campaign_arn}")
    if args.domain:
        print(f"{args.domain} recommenders: " + ", ".join(
            arns.local_arn("recommender", r["name"]) for r in group_files.recommenders(created.name, args.domain)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
