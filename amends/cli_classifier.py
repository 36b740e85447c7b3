"""``amends classify|label|labels|train|evaluate|model``: the classifier's commands.

Registered on the main ``amends`` group by :mod:`amends.cli`; the work is in
:mod:`amends.classify`, :mod:`amends.labels`, :mod:`amends.training` and :mod:`classifier`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from amends.cli import Context, _console, _rows, _when, cli, fail
from amends.config import Config
from amends.errors import AmendsError
from amends.logs import redact

if TYPE_CHECKING:
    # scikit-learn takes seconds to import: only the commands that need it load it.
    from classifier.evaluation import Evaluation

T = TypeVar("T")


def _on_database(obj: Context, work: Callable[[Engine, Config], T]) -> T:
    """``work`` on the configured database, migrated first; expected errors end the command
    with their message and hint (exit 1)."""
    from amends.database import connected, upgrade

    try:
        config = obj.config()
        with connected(config) as engine:
            upgrade(engine)
            return work(engine, config)
    except AmendsError as exc:
        fail(exc)


def _evaluation(console: Console, evaluation: Evaluation, title: str) -> None:
    table = Table(title=f"{title} ({evaluation.method}, {evaluation.size} examples)")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, s in evaluation.per_class.items():
        table.add_row(label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    table.add_section()
    table.add_row("macro-F1", "", "", f"[bold]{evaluation.macro_f1:.3f}[/]", "")
    table.add_row("accuracy", "", "", f"{evaluation.accuracy:.3f}", "")
    console.print(table)


def _confusion(console: Console, evaluation: Evaluation) -> None:
    table = Table(
        title="confusion matrix (rows: true label, columns: predicted, by number)",
        padding=(0, 0, 0, 1),
        pad_edge=False,
    )
    table.add_column("true label", no_wrap=True)
    for number in range(1, len(evaluation.labels) + 1):
        table.add_column(str(number), justify="right", no_wrap=True)
    for i, (label, row) in enumerate(zip(evaluation.labels, evaluation.confusion, strict=True)):
        cells = [f"[bold]{v}[/]" if j == i else (str(v) if v else "·") for j, v in enumerate(row)]
        table.add_row(f"{i + 1:>2} {label}", *cells)
    console.print(table)


@cli.command("classify")
@click.option("--mailbox", metavar="NAME", help="Only this mailbox's tickets.")
@click.option("--limit", type=click.IntRange(1), help="At most this many tickets.")
@click.pass_obj
def classify(obj: Context, mailbox: str | None, limit: int | None) -> None:
    """Classify stored tickets that wait for a failure type.

    Trains the default model from the bootstrap corpus first when no model is active.
    """
    from amends.classify import classify_pending

    result = _on_database(
        obj, lambda engine, config: classify_pending(engine, config, mailbox=mailbox, limit=limit)
    )
    click.echo(
        f"classified {result.classified} ticket(s) with model {result.model_version}: "
        f"{result.unsure} unsure, {result.severe} severe, {result.repeats} repeat failure(s)"
    )


@cli.command("label")
@click.argument("ticket_id", type=int)
@click.argument("label")
@click.option("--by", "given_by", metavar="AGENT", help="Who gives the label (kept with it).")
@click.pass_obj
def label(obj: Context, ticket_id: int, label: str, given_by: str | None) -> None:
    """Set TICKET's failure type to LABEL; the label trains the next model."""
    from amends.labels import label_ticket

    result = _on_database(
        obj,
        lambda engine, config: label_ticket(engine, config, ticket_id, label, given_by=given_by),
    )
    if result.changed:
        click.echo(f"ticket {ticket_id}: {result.old_label or 'no label'} → {result.new_label}")
    else:
        click.echo(f"ticket {ticket_id}: already {result.new_label}; the label was recorded")


@cli.group("labels")
def labels_group() -> None:
    """Label folders in the mail client (Amends/Labels/<label>)."""


@labels_group.command("sync")
@click.option("--mailbox", "mailbox_name", metavar="NAME", help="Only this mailbox.")
@click.pass_obj
def labels_sync(obj: Context, mailbox_name: str | None) -> None:
    """Create the label folders and record the labels of mail agents put there.

    Every mailbox is tried; one that cannot be reached is reported and the command exits 1.
    """
    from amends.database import connected, upgrade
    from amends.label_folders import sync_label_folders
    from amends.mailboxes import find_mailbox

    failed = 0
    try:
        config = obj.config()
        chosen = [m for m in config.mailboxes if mailbox_name in (None, m.name)]
        if not chosen:
            find_mailbox(config, mailbox_name)
        with connected(config) as engine:
            upgrade(engine)
            for mailbox in chosen:
                try:
                    click.echo(str(sync_label_folders(engine, config, mailbox)))
                except AmendsError as exc:
                    failed += 1
                    click.echo(f"{mailbox.name}: {redact(str(exc))}", err=True)
                    if exc.hint:
                        click.echo(f"  what to do: {redact(exc.hint)}", err=True)
    except AmendsError as exc:
        fail(exc)
    if failed:
        sys.exit(1)


def _mail_option(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    pairs = []
    for value in values:
        label, sep, path = value.partition("=")
        if not sep or not label or not path:
            raise click.BadParameter(f"{value!r}: use LABEL=PATH", param_hint="--mail")
        pairs.append((label.strip(), Path(path)))
    return pairs


@cli.command("train")
@click.option(
    "--data",
    "files",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Labelled CSV or JSONL file (columns text or subject/body, and label). Repeatable.",
)
@click.option(
    "--mail",
    "mail",
    multiple=True,
    metavar="LABEL=PATH",
    help="An mbox file or Maildir folder whose messages all have LABEL. Repeatable.",
)
@click.option(
    "--mail-root",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="A folder of <label> Maildirs and <label>.mbox files.",
)
@click.option(
    "--bootstrap/--no-bootstrap",
    default=True,
    show_default=True,
    help="Include the bootstrap corpus shipped with Amends.",
)
@click.option(
    "--feedback/--no-feedback",
    default=True,
    show_default=True,
    help="Include the team's labels from the database.",
)
@click.option(
    "--cv",
    "cv_folds",
    type=click.IntRange(0, 20),
    default=5,
    show_default=True,
    help="Also report k-fold cross-validation on all the data (0: skip).",
)
@click.option(
    "--holdout",
    type=click.FloatRange(0.05, 0.5),
    default=0.2,
    show_default=True,
    help="Share of each label held out to compare the new model with the active one.",
)
@click.option("--force", is_flag=True, help="Activate the new model even if it scores worse.")
@click.option("--notes", metavar="TEXT", help="A note kept with the model version.")
@click.pass_obj
def train(
    obj: Context,
    files: tuple[Path, ...],
    mail: tuple[str, ...],
    mail_root: Path | None,
    bootstrap: bool,
    feedback: bool,
    cv_folds: int,
    holdout: float,
    force: bool,
    notes: str | None,
) -> None:
    """Train a model, compare it with the active one, and promote it if it is not worse.

    The new model is promoted when its macro-F1 on held-out data is at most
    classifier.max_regression below the active model's on the same data; otherwise the active
    model stays and the reason is printed (--force overrides). Every trained model is kept as a
    version: `amends model list`.
    """
    from amends.database import connected, upgrade
    from amends.training import Sources, gather, train_from_sources
    from amends.training import mail_root as root_pairs
    from classifier.training import TrainingOptions

    console = _console()
    pairs = _mail_option(mail)
    try:
        config = obj.config()
        if mail_root is not None:
            pairs += root_pairs(mail_root)
        sources = Sources(bootstrap=bootstrap, feedback=feedback, files=files, mail=pairs)
        with connected(config) as engine:
            upgrade(engine)
            gathered = gather(engine, sources, list(config.classifier.labels))
            dataset = gathered.dataset
            console.print(f"training data: {len(dataset.examples)} examples")
            _rows(
                console,
                "examples per label",
                ["label", "examples", "share"],
                [
                    [label, str(n), f"{n / len(dataset.examples):.1%}"]
                    for label, n in dataset.label_counts().items()
                ],
            )
            for source, n in dataset.source_counts().items():
                console.print(f"  from {escape(source)}: {n}")
            for note in dataset.notes:
                console.print(f"  [yellow]note:[/] {escape(note)}", markup=True)
            options = TrainingOptions(
                model_dir=config.classifier.model_dir,
                max_regression=config.classifier.max_regression,
                holdout_fraction=holdout,
                cv_folds=cv_folds,
                force=force,
                notes=notes,
            )
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("training", total=cv_folds + 3)

                def progress(step: str, done: int, total: int) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                report = train_from_sources(engine, gathered, options, progress)
    except AmendsError as exc:
        fail(exc)
    if report.cross_validation is not None:
        _evaluation(console, report.cross_validation, "new model, cross-validated")
    assert report.candidate is not None and report.decision is not None
    _evaluation(console, report.candidate, "new model on held-out data")
    compared = report.candidate_compared
    if report.active is not None and compared is not None:
        if compared.size != report.candidate.size:
            _evaluation(console, compared, "new model, compared")
        _evaluation(console, report.active, f"active model {report.active_version}, compared")
    for note in report.notes[len(dataset.notes) :]:
        console.print(f"[yellow]note:[/] {escape(note)}", markup=True)
    _confusion(console, report.cross_validation or report.candidate)
    assert report.version is not None
    console.print(f"confusion matrix image: {report.confusion_png}", markup=False)
    console.print(
        f"model version {report.version.version} saved to {report.version.path}", markup=False
    )
    if report.activated:
        why = "forced" if not report.decision.promote else report.decision.reason
        console.print(
            f"[green]promoted:[/] {report.version.version} is active ({escape(why)})", markup=True
        )
    else:
        console.print(
            f"[yellow]not promoted:[/] {escape(report.decision.reason)}; "
            f"{report.active_version} stays active. "
            f"`amends model activate {report.version.version}` or --force overrides.",
            markup=True,
        )


@cli.command("evaluate")
@click.option(
    "--data",
    "files",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Labelled CSV or JSONL file. Repeatable.",
)
@click.option("--version", "version_name", metavar="VERSION", help="Score this version instead.")
@click.pass_obj
def evaluate(obj: Context, files: tuple[Path, ...], version_name: str | None) -> None:
    """Score the active model (or --version) on labelled data; nothing is changed."""
    from amends.classify import ensure_model
    from amends.database import connected, upgrade
    from classifier import registry
    from classifier.dataset import combine, read_labelled_file
    from classifier.evaluation import score
    from classifier.persist import load_model

    console = _console()
    try:
        config = obj.config()
        dataset = combine([read_labelled_file(path) for path in files])
        with connected(config) as engine:
            upgrade(engine)
            if version_name:
                row = registry.get_version(engine, version_name)
                model = load_model(Path(row.path), row.file_sha256)
            else:
                loaded = ensure_model(engine, config)
                row, model = loaded.version, loaded.model
    except AmendsError as exc:
        fail(exc)
    for note in dataset.notes:
        console.print(f"note: {note}")
    unknown = sorted(set(dataset.labels) - set(row.labels))
    if unknown:
        console.print(f"note: model {row.version} has never seen: {', '.join(unknown)}")
    evaluation = score(dataset.labels, list(model.predict(dataset.texts)), method="given data")
    _evaluation(console, evaluation, f"model {row.version}")
    _confusion(console, evaluation)


@cli.group("model")
def model_group() -> None:
    """The model registry: list, show, activate and roll back versions."""


@model_group.command("list")
@click.pass_obj
def model_list(obj: Context) -> None:
    """Every trained version with its size, figures and whether it is active."""
    from classifier import registry

    versions = _on_database(obj, lambda engine, _config: registry.list_versions(engine))
    _rows(
        _console(),
        "model versions",
        ["version", "created", "active", "trained on", "labels", "held-out macro-F1", "notes"],
        [
            [
                v.version,
                _when(v.created_at),
                "yes" if v.active else "",
                str(v.training_size),
                str(len(v.labels)),
                f"{v.metrics.get('holdout', {}).get('macro_f1', float('nan')):.3f}",
                v.notes or "",
            ]
            for v in versions
        ],
    )


@model_group.command("show")
@click.argument("version", required=False)
@click.pass_obj
def model_show(obj: Context, version: str | None) -> None:
    """One version (default: the active one): file, hash, data, figures."""
    from classifier import registry
    from classifier.evaluation import ClassScore, Evaluation

    row = _on_database(
        obj,
        lambda engine, _config: (
            registry.get_version(engine, version) if version else registry.active_version(engine)
        ),
    )
    if row is None:
        click.echo("no model is active yet (the default model is trained on first use)", err=True)
        sys.exit(1)
    console = _console()
    data = row.metrics.get("data", {})
    console.print(f"model {row.version}{'  [green](active)[/]' if row.active else ''}", markup=True)
    console.print(f"  created:  {_when(row.created_at)}   promoted: {_when(row.promoted_at)}")
    console.print(f"  file:     {row.path}", markup=False)
    console.print(f"  sha256:   {row.file_sha256}")
    console.print(
        f"  examples: trained on {row.training_size} of {data.get('size', '?')} "
        f"(the rest held out), from {data.get('sources', {})}",
        markup=False,
    )
    console.print(f"  labels:   {', '.join(row.labels)}")
    console.print(f"  decision: {row.metrics.get('decision', '-')}", markup=False)
    if row.notes:
        console.print(f"  notes:    {row.notes}", markup=False)
    for key, title in (("cross_validation", "cross-validated"), ("holdout", "held-out")):
        figures = row.metrics.get(key)
        if figures:
            _evaluation(
                console,
                Evaluation(
                    labels=figures["labels"],
                    per_class={k: ClassScore(**v) for k, v in figures["per_class"].items()},
                    macro_f1=figures["macro_f1"],
                    accuracy=figures["accuracy"],
                    confusion=figures["confusion"],
                    size=figures["size"],
                    method=figures["method"],
                ),
                title,
            )


@model_group.command("activate")
@click.argument("version")
@click.pass_obj
def model_activate(obj: Context, version: str) -> None:
    """Make VERSION the active model (its file is checked first)."""
    from classifier import registry

    _on_database(
        obj, lambda engine, _config: registry.activate(engine, version, reason="activated by hand")
    )
    click.echo(f"model {version} is active")


@model_group.command("rollback")
@click.pass_obj
def model_rollback(obj: Context) -> None:
    """Go back to the model that was active before the current one."""
    from classifier import registry

    row = _on_database(obj, lambda engine, _config: registry.rollback(engine))
    click.echo(f"model {row.version} is active again")
