"""A Python scenario: how do pair rate and fidelity fall as two QPUs move apart?

Builds a 3-node chain (two QPUs and a repeater) in code at three link lengths, characterises each over three
seeds with the public API, prints the comparison (means with 95 % intervals, differences against 10 km) and
writes it under results/compare/.
Run with: python scenarios/compare_link_lengths.py
"""

from __future__ import annotations

from rich.console import Console

import qnet_dqnn
from qnet_dqnn.report import print_sheets
from qnet_dqnn.report.study import comparison_sheet, difference_sheets, save_comparison
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import chain, topology_from_data

LENGTHS_KM = (10.0, 25.0, 50.0)
SEEDS = 3


def main() -> None:
    runs = {}
    for length_km in LENGTHS_KM:
        topology = topology_from_data(chain(nodes=3, length_km=length_km))
        scenario = scenario_from_data(
            {
                "name": f"chain3_{length_km:g}km",
                "topology": "generated in code",
                "stop": {"simulated_time_s": 0.5},
                "workload": {"type": "characterize", "storage_time_s": 1e-4},
            },
            topology=topology,
        )
        runs[scenario.name] = [qnet_dqnn.run(scenario, seed=seed) for seed in range(SEEDS)]
    console = Console()
    print_sheets(console, [comparison_sheet(runs), *difference_sheets(runs)], width=console.width)
    folder, figures = save_comparison(runs, "results")
    console.print(f"results written to {folder}")
    for figure in figures:
        console.print(f"figure: {figure}")


if __name__ == "__main__":
    main()
