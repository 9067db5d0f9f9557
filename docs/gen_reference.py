"""Write the reference pages from the code (run by mkdocs-gen-files at build time)."""

from __future__ import annotations

import re

import mkdocs_gen_files

import idrt.demand.io
from idrt import reference as ref


def _columns(title: str, table: dict[str, tuple[str, str]]) -> str:
    rows = "\n".join(f"| `{k}` | {u} | {m} |" for k, (u, m) in table.items())
    return f"## {title}\n\n| column | unit | meaning |\n|---|---|---|\n{rows}\n"


keys = ref.scenario_keys()
keys["key"] = "`" + keys["key"] + "`"
keys["default"] = "`" + keys["default"].str.replace("`", "'") + "`"
with mkdocs_gen_files.open("reference/scenario.md", "w") as fh:
    fh.write(
        "# Scenario keys\n\nEvery key of a scenario TOML (`[section] key = value`, or "
        "`--set section.key=value` on the command line), generated from the configuration "
        "dataclasses of `idrt.scenario`. Defaults are the embedded Yeongjong pilot's. "
        "Units follow the key's suffix: `_s` seconds, `_m` metres, `_h` hours, `_kmh` km/h, "
        "`_share` a share in [0, 1].\n\n"
    )
    fh.write(ref.markdown_table(keys) + "\n")

trip_doc = idrt.demand.io.__doc__ or ""
trip_csv = trip_doc[trip_doc.index("Trip-log CSV") :]
trip_csv = re.sub(r"^Trip-log CSV\n-+\n", "", trip_csv)
with mkdocs_gen_files.open("reference/tables.md", "w") as fh:
    fh.write("# Tables and KPIs\n\nGenerated from `idrt.reference`; a test keeps them ")
    fh.write("complete (every column of a run's tables and every KPI has an entry).\n\n")
    fh.write("## Trip CSV (input)\n\n```text\n" + trip_csv.strip() + "\n```\n\n")
    fh.write(_columns("Requests (`Result.requests`, `requests.parquet`)", ref.REQUEST_COLUMNS))
    fh.write(_columns("Vehicles (`Result.vehicles`, `vehicles.parquet`)", ref.VEHICLE_COLUMNS))
    fh.write(_columns("Events (`Result.events`, `events.parquet`)", ref.EVENT_COLUMNS))
    fh.write(_columns("Signal passages (`signal_passages.parquet`)", ref.PASSAGE_COLUMNS))
    rows = "\n".join(f"| `{k}` | {u} | {m} |" for k, (u, m) in ref.KPIS.items())
    fh.write("## KPIs (`Result.summary()`, `summary.csv`)\n\n| KPI | unit | meaning |\n")
    fh.write(f"|---|---|---|\n{rows}\n")

cli = ref.cli_reference()
with mkdocs_gen_files.open("reference/cli.md", "w") as fh:
    fh.write("# Command line\n\nGenerated from the `idrt` argument parser.\n\n")
    for command, group in cli.groupby("command", sort=False):
        fh.write(f"## `{command}`\n\n")
        opts = group[group["option"] != ""]
        head = group[group["option"] == ""]
        if len(head):
            fh.write(head["help"].iloc[0] + "\n\n")
        if len(opts):
            opts = opts.assign(option="`" + opts["option"] + "`")
            fh.write(ref.markdown_table(opts[["option", "help"]]) + "\n\n")

# images that pages show from elsewhere in the repository
for source, target in [("experiments/intersection_check/delay_vs_x.png", "img/delay_vs_x.png")]:
    with open(source, "rb") as src, mkdocs_gen_files.open(target, "wb") as fh:
        fh.write(src.read())

# "How idrt compares" and "Performance" from the README (one source for both)
readme = open("README.md", encoding="utf-8").read()


def _section(name: str) -> str:
    text = readme.split(f"<!-- --8<-- [start:{name}] -->", 1)[1]
    text = text.split(f"<!-- --8<-- [end:{name}] -->", 1)[0]
    return re.sub(r"\]\(docs/([^)]+)\)", r"](\1)", text).strip()


with mkdocs_gen_files.open("compare.md", "w") as fh:
    fh.write("# How idrt compares\n\nFrom the README, the one source of these figures.\n\n")
    fh.write(_section("compare") + "\n\n## Performance\n\n" + _section("performance") + "\n")

with mkdocs_gen_files.open("reference/api.md", "w") as fh:
    fh.write("# Python API\n\nThe public API, from the docstrings (numpydoc).\n\n")
    for name in ("idrt.load_network", "idrt.Scenario", "idrt.simulate", "idrt.Result",
                 "idrt.sweep", "idrt.size_fleet", "idrt.compare", "idrt.ServiceArea",
                 "idrt.demand.read_gtfs", "idrt.demand.transit_baseline",
                 "idrt.network.nodelink.read_nodelink"):  # fmt: skip
        fh.write(f"::: {name}\n\n")
