"""``evogroup latency``: measure (or load from the cache) a backend's latency table on a
device, and predict or measure one genome's latency."""

from __future__ import annotations

import json

import click

from evogroup.cli.backend_command import BackendCommand, backend_option, split_backend_options
from evogroup.cli.latency_flags import device_flags, latency_label, spec_from
from evogroup.cli.params import read_genome
from evogroup.core.latency import LatencyTable
from evogroup.core.space import SearchSpace


@click.command(
    "latency", cls=BackendCommand, short_help="Measure a latency table; predict a genome's."
)
@backend_option()
@device_flags()
@click.option(
    "--genome",
    default=None,
    help="Print this genome's predicted latency: a group count, a comma list, a JSON file"
    " or a genome the backend names (e.g. native).",
)
@click.option("--measure", is_flag=True, help="With --genome: also time its whole network.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def latency(
    ctx: click.Context,
    device: str,
    threads: int,
    batch: int,
    genome: str | None,
    measure: bool,
    as_json: bool,
    **kwargs,
) -> None:
    """Measure the per-layer, per-choice latency table of the backend's searched layers on
    --device (at the backend's --resolution), fit its whole-network correction, and cache
    it; later calls with the same device, torch version, threads, batch, resolution and
    options load it. Binary convolutions are timed as this device runs them: in float.
    """
    backend, opts = split_backend_options(ctx, kwargs)
    if measure and genome is None:
        raise click.UsageError("--measure needs --genome: the genome whose network to time")
    spec = spec_from(device, threads, batch)
    table = backend.latency(spec, opts, echo=lambda line: click.echo(line, err=True))
    space = backend.space(opts)
    if genome is None:
        _print_table(table, space, as_json)
        return
    genes = read_genome(genome, space, "--genome", backend.named_genomes(opts))
    report = {"genome": list(genes), "predicted_ms": table.predict(genes)}
    if measure:
        report.update(backend.measure_latency(genes, spec, opts))
    if as_json:
        click.echo(json.dumps({**report, "key": table.key}))
        return
    click.echo(f"genome       {','.join(map(str, genes))}")
    click.echo(f"predicted    {report['predicted_ms']:.3f} ms  ({latency_label(table)})")
    if measure:
        click.echo(
            f"measured     {report['measured_ms']:.3f} ms (noise {report['noise_ms']:.3f} ms)"
        )


def _print_table(table: LatencyTable, space: SearchSpace, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({**table.to_json(), "path": table.path, "cached": table.cached}))
        return
    click.echo(latency_label(table))
    click.echo("predicted ms per layer and group count (scale included):")
    width = max(len(layer.name) for layer in space.layers)
    for layer, row in zip(space.layers, table.cost.table):
        cells = "  ".join(f"{g}:{row[g]:.3f}" for g in layer.choices)
        click.echo(f"  {layer.name.ljust(width)}  {cells}")
    fit = table.fit
    click.echo(f"constant (stem, head, overhead) {table.offset:.3f} ms; scale {table.scale:.3f}")
    click.echo(
        f"fastest genome {list(table.cost.min_genome())}: {table.cost.min_cost:.3f} ms;"
        f" slowest {table.cost.max_cost:.3f} ms"
    )
    click.echo(
        f"fit on {fit.get('genomes')} whole networks: MAPE {fit.get('mape', 0):.1f} %,"
        f" p90 {fit.get('p90', 0):.1f} %; timing noise {fit.get('noise_ms', 0):.3f} ms"
    )
    state = "loaded from" if table.cached else "cached at"
    click.echo(f"{state} {table.path}")
