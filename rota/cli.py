"""Commands: `art35 rota gaps`."""

from __future__ import annotations

from datetime import timedelta

import click

from common.cli import CommandGroup
from common.clock import now
from rota.lookup import coverage_gaps

rota_cli = CommandGroup("rota", help="Rotas and coverage.")


@rota_cli.command("gaps")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--all-tiers", is_flag=True, help="Report every tier, not only tier 1.")
@click.option(
    "--fail-on-gaps", is_flag=True, help="Exit with status 1 when there is a gap (for cron alerts)."
)
def gaps_cmd(days: int, all_tiers: bool, fail_on_gaps: bool) -> None:
    """Print every gap in 24/7 coverage in the coming days (times in UTC)."""
    since = now().replace(microsecond=0)
    gaps = coverage_gaps(since, since + timedelta(days=days), all_tiers=all_tiers)
    if not gaps:
        click.echo(f"no gaps in the next {days} days")
        return
    for gap in gaps:
        hours = (gap.end - gap.start).total_seconds() / 3600
        rota = gap.rota.name if gap.rota else "no rota"
        click.echo(
            f"{gap.party.iso2}\ttier {gap.tier}\t{gap.start:%Y-%m-%d %H:%MZ} → "
            f"{gap.end:%Y-%m-%d %H:%MZ}\t{hours:.1f} h\t{rota}"
        )
    click.echo(f"{len(gaps)} gap(s) in {len({g.party.iso2 for g in gaps})} Party(ies)")
    if fail_on_gaps:
        raise click.exceptions.Exit(1)
