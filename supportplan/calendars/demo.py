"""Demo step: make sure the built-in calendars and the library's holidays are there (the
data migration normally did it) and say what the calendars know."""

from supportplan.demo import DemoContext, register_step

from . import selectors, services


@register_step
def calendars(ctx: DemoContext) -> None:
    services.calendars_ensure_builtin(at=ctx.now)
    services.holidays_import_library(at=ctx.now)
    five = selectors.calendar_for("5x8")
    years = sorted(five.known_years)
    ctx.lines.append(
        f"calendars: 7x24, 5x8 (holiday data {years[0]}-{years[-1]})"
        if years
        else "calendars: 7x24, 5x8"
    )
    for w in selectors.holiday_data_warnings(ctx.now):
        ctx.lines.append(f"calendars: {w.level}: {w.message}")
