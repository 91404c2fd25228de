"""``evogroup backends``, ``evogroup space`` and ``evogroup flops``."""

from __future__ import annotations

import json

import click

from evogroup.backend.registry import backend_summaries
from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.params import FLOPS, read_genome
from evogroup.cli.report import genome_table, space_table
from evogroup.core.units import format_flops


@click.command(short_help="List installed backends.")
def backends() -> None:
    """List the backends installed through the `evogroup.backends` entry points."""
    rows = backend_summaries()
    width = max((len(name) for name, _ in rows), default=0)
    for name, summary in rows:
        click.echo(f"{name.ljust(width)}  {summary}")


@click.command(cls=BackendCommand, short_help="Show a backend's layers, choices and cost range.")
@backend_option()
@click.option(
    "--budget", type=FLOPS, help="Also check whether this budget is feasible (exit 1 if not)."
)
@click.pass_context
def space(ctx: click.Context, budget: float | None, **kwargs) -> None:
    """Print the searchable layers, their group choices and the min/max cost."""
    backend, opts = split_backend_options(ctx, kwargs)
    search_space, table = backend.space(opts), backend.cost(opts)
    click.echo(space_table(search_space))
    click.echo(f"\n{len(search_space)} genes, {search_space.size:.3e} genomes")
    click.echo(f"cost: {backend.cost_label(opts)}")
    click.echo(f"min {format_flops(table.min_cost)} (genome {list(table.min_genome())})")
    click.echo(f"max {format_flops(table.max_cost)} (genome {list(table.max_genome())})")
    if budget is not None:
        backend.check_budget(budget, opts)
        click.echo(f"budget {format_flops(budget)} is feasible")


@click.command(cls=BackendCommand, short_help="Count the cost (FLOPs) of a genome.")
@backend_option()
@click.option(
    "--groups",
    required=True,
    help="One group count (uniform), a comma list, a JSON file, or a genome the backend names (e.g. native).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def flops(ctx: click.Context, groups: str, as_json: bool, **kwargs) -> None:
    """Print the total cost of a genome and its per-layer breakdown."""
    backend, opts = split_backend_options(ctx, kwargs)
    genome = read_genome(groups, backend.space(opts), named=backend.named_genomes(opts))
    report = backend.cost_report(genome, opts)
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(genome_table(report))
    click.echo(f"\ntotal {format_flops(report['cost'])}  ({backend.cost_label(opts)})")
    for key in ("binary_macs", "real_macs"):
        if key in report:
            click.echo(f"{key.replace('_', ' ')}: {report[key]:,.0f}")
