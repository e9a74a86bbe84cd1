"""Hardware presets: named parameter sets of network nodes and links, each number with its source.

They live in the topology layer (the bottom one) because loading a topology applies them.

A topology names one with ``hardware: <preset>`` on a node or a link; the preset fills every field the entry
leaves out (a field given in the topology wins). docs/MODEL.md ("Hardware presets") lists every value with its
paper and the place in it, and says which were checked against the stored copy of the paper during the work
and which were not. Where no paper gives a number the preset needs (a ``T1`` for a memory whose ground states do
not decay, for instance), the source line says so and which documented number stands in.

Derived values: a link's ``source_fidelity`` is the Bell fidelity of the *pair* a midpoint station heralds from
two emitter–photon pairs of fidelity ``F_ep``; for Werner pairs the Werner parameters multiply
(``w = w_ep²``, Dür & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1), so ``F = (1 + 3 w_ep²)/4`` with
``w_ep = (4 F_ep − 1)/3`` (:func:`pair_fidelity_from_emitters`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def pair_fidelity_from_emitters(emitter_photon_fidelity: float) -> float:
    """Bell fidelity of a midpoint-heralded pair from two Werner emitter–photon pairs (module docstring).

    Examples:
        >>> round(pair_fidelity_from_emitters(1.0), 12)
        1.0
    """
    w = (4.0 * emitter_photon_fidelity - 1.0) / 3.0  # Werner parameter (Werner, PRA 40, 4277 (1989))
    return (1.0 + 3.0 * w * w) / 4.0


@dataclass(frozen=True)
class Preset:
    """One platform: node fields, link (``quantum``) fields, and a source for every value.

    Attributes:
        name: the preset's name in topology files.
        title: what it is.
        node: node fields (nested as in the topology: ``{"gates": {...}, "memory": {...}, ...}``).
        link: link fields (``{"quantum": {...}}``).
        sources: dotted field path -> where the value comes from.
    """

    name: str
    title: str
    node: dict[str, Any] = field(default_factory=dict)
    link: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


_BRUZEWICZ = "Bruzewicz et al., Appl. Phys. Rev. 6, 021314 (2019), Table I"
_LOSCHNAUER = "Löschnauer et al., arXiv:2407.07694 (2024), abstract"
_CANTERI = "Canteri et al., arXiv:2406.09480 (2024), abstract"
_G652 = "ITU-T G.652 single-mode fiber at 1550 nm (the project's default attenuation)"
_ARUTE = "Arute et al., Nature 574, 505 (2019), Fig. 2 (simultaneous operation)"
_VAN_LEENT_2020 = "van Leent et al., PRL 124, 010510 (2020), abstract"
_EVERED = "Evered et al., Nature 622, 268 (2023), abstract"

PRESETS: dict[str, Preset] = {
    "trapped_ion": Preset(
        "trapped_ion",
        "trapped-ion QPU with a cavity photon interface, photons converted to 1550 nm",
        node={
            "gates": {
                "one_qubit_time_s": 10e-6,
                "two_qubit_time_s": 100e-6,
                "measurement_time_s": 100e-6,
                "one_qubit_error": 8.4e-6,
                "two_qubit_error": 3.0e-4,
                "measurement_error": 7.0e-4,
            },
            "readout_error": 7.0e-4,
            "memory": {"t1_s": 50.0, "t2_s": 50.0},
        },
        link={
            "quantum": {
                "source_rate_hz": 1.0e6,
                "source_fidelity": round(pair_fidelity_from_emitters(0.92), 4),
                "source_efficiency": 0.091,
                "detector_efficiency": 1.0,
                "attenuation_db_per_km": 0.2,
                "wavelength_nm": 1550.0,
                "heralding": "midpoint",
            }
        },
        sources={
            "gates.one_qubit_time_s": _BRUZEWICZ,
            "gates.two_qubit_time_s": _BRUZEWICZ,
            "gates.measurement_time_s": _BRUZEWICZ,
            "gates.one_qubit_error": f"{_LOSCHNAUER}: one-qubit gate fidelity 99.99916(7) %",
            "gates.two_qubit_error": f"{_LOSCHNAUER}: two-qubit entangled states at 99.97(1) % fidelity",
            "gates.measurement_error": "Harty et al., PRL 113, 220501 (2014), abstract: SPAM fidelity 99.93 %",
            "readout_error": "Harty et al., PRL 113, 220501 (2014), abstract: SPAM fidelity 99.93 %",
            "memory.t2_s": "Harty et al., PRL 113, 220501 (2014), abstract: memory coherence T2* ≈ 50 s",
            "memory.t1_s": "no measured T1 (hyperfine ground states do not decay): T1 = T2, the documented time",
            "quantum.source_rate_hz": "Stephenson et al., PRL 124, 110501 (2020): ~1 MHz attempt rate",
            "quantum.source_fidelity": f"{_CANTERI}: ion-photon Bell-state fidelity 92(1) %, paired (module docs)",
            "quantum.source_efficiency": f"{_CANTERI}: detection probability per photon 9.1(8) %",
            "quantum.detector_efficiency": f"{_CANTERI}: detection is inside the 9.1 % above",
            "quantum.attenuation_db_per_km": _G652,
            "quantum.wavelength_nm": "Krutyanskiy et al., npj Quantum Inf. 5, 72 (2019): conversion to the "
            "1550 nm C band (its efficiency, not verified here, is not included)",
            "quantum.heralding": "Stephenson et al., PRL 124, 110501 (2020): two-photon midpoint heralding",
        },
    ),
    "nv_centre": Preset(
        "nv_centre",
        "nitrogen-vacancy centre in diamond, 637 nm photons, single-click heralding",
        node={
            "gates": {
                "one_qubit_time_s": 1.0e-7,
                "two_qubit_time_s": 5.0e-4,
                "measurement_time_s": 4.0e-6,
                "one_qubit_error": 1.0e-3,
                "two_qubit_error": 2.0e-2,
                "measurement_error": 1.0e-2,
            },
            "readout_error": 2.0e-2,
            "memory": {"t1_s": 3600.0, "t2_s": 1.58},
        },
        link={
            "quantum": {
                "source_rate_hz": 2.0e5,
                "source_fidelity": 0.85,
                "source_efficiency": 0.3,
                "detector_efficiency": 0.9,
                "attenuation_db_per_km": 8.0,
                "wavelength_nm": 637.0,
                "heralding": "midpoint",
            }
        },
        sources={
            "gates": "Pompili et al., Science 372, 259 (2021), supplementary parameter table (the values of "
            "topologies/metro.yaml; not verified here)",
            "readout_error": "Pompili et al., Science 372, 259 (2021), supplement (not verified here)",
            "memory.t2_s": "Abobeih et al., Nat. Commun. 9, 2552 (2018): electron T2 = 1.58 s under dynamical "
            "decoupling (not verified here)",
            "memory.t1_s": "Abobeih et al., Nat. Commun. 9, 2552 (2018): electron T1 > 1 h; 1 h taken",
            "quantum.source_fidelity": "Pompili et al., Science 372, 259 (2021): raw link fidelity ~0.85 "
            "(topologies/metro.yaml; not verified here)",
            "quantum.source_rate_hz": "Humphreys et al., Nature 558, 268 (2018), abstract: entangling rates up "
            "to 39 Hz (verified); the attempt rate is not in the abstract: the metro.yaml value is kept",
            "quantum.source_efficiency": "no verified number: the project's metro.yaml value",
            "quantum.detector_efficiency": "no verified number: the project's metro.yaml value",
            "quantum.attenuation_db_per_km": "Hensen et al., Nature 526, 682 (2015): 637 nm photons over 1.3 km "
            "of fiber, ~8 dB/km (not verified here)",
            "quantum.wavelength_nm": "Hensen et al., Nature 526, 682 (2015): NV zero-phonon line, 637 nm",
            "quantum.heralding": "Humphreys et al., Nature 558, 268 (2018): single-photon heralding at a midpoint",
        },
    ),
    "superconducting_transduction": Preset(
        "superconducting_transduction",
        "superconducting transmon QPU networked by microwave-optical transduction",
        node={
            "gates": {
                "one_qubit_time_s": 25e-9,
                "two_qubit_time_s": 12e-9,
                "measurement_time_s": 1.0e-6,
                "one_qubit_error": 1.6e-3,
                "two_qubit_error": 6.2e-3,
                "measurement_error": 3.8e-2,
            },
            "readout_error": 3.8e-2,
            "memory": {"t1_s": 16e-6, "t2_s": 16e-6},
        },
        link={
            "quantum": {
                "source_rate_hz": 1.0e5,
                "source_fidelity": 0.7,
                "source_efficiency": 1.0e-3,
                "detector_efficiency": 0.9,
                "attenuation_db_per_km": 0.2,
                "wavelength_nm": 1550.0,
                "heralding": "midpoint",
            }
        },
        sources={
            "gates.one_qubit_time_s": f"{_ARUTE}: 25 ns one-qubit gates",
            "gates.two_qubit_time_s": f"{_ARUTE}: 12 ns two-qubit gates",
            "gates.one_qubit_error": f"{_ARUTE}: 0.16 % one-qubit error",
            "gates.two_qubit_error": f"{_ARUTE}: 0.62 % two-qubit error",
            "gates.measurement_error": f"{_ARUTE}: 3.8 % readout error",
            "readout_error": f"{_ARUTE}: 3.8 % readout error",
            "gates.measurement_time_s": "no verified number: 1 us, the order of dispersive readout",
            "memory.t1_s": f"{_ARUTE}: median T1 ≈ 16 us (not verified here)",
            "memory.t2_s": "no T2 taken from the source: T2 = T1 (within the T2 <= 2 T1 bound)",
            "quantum.source_efficiency": "Dirnegger et al., arXiv:2503.10842 (2025): present-day transducers "
            "(added noise 0.5 photons, verified) are at the threshold of useful links; the 1e-3 "
            "microwave-to-optical efficiency is not verified here",
            "quantum.source_fidelity": "Dirnegger et al., arXiv:2503.10842 (2025), abstract: present transducers "
            "give remote Bell pairs just above 50 % fidelity; 0.7 is an assumption above that threshold",
            "quantum.source_rate_hz": "no verified number: 100 kHz (the repetition rates Dirnegger et al. call "
            "for are MHz)",
            "quantum.detector_efficiency": "no verified number: superconducting nanowire detectors ~0.9",
            "quantum.attenuation_db_per_km": _G652,
            "quantum.wavelength_nm": "Krastanov et al., PRL 127, 040503 (2021): telecom optical photons",
            "quantum.heralding": "Krastanov et al., PRL 127, 040503 (2021): optically heralded entanglement",
        },
    ),
    "neutral_atom": Preset(
        "neutral_atom",
        "neutral-atom (Rb) QPU, photons converted from 780 nm to 1522 nm",
        node={
            "gates": {
                "one_qubit_time_s": 1.0e-6,
                "two_qubit_time_s": 2.5e-7,
                "measurement_time_s": 5.0e-4,
                "one_qubit_error": 1.0e-3,
                "two_qubit_error": 5.0e-3,
                "measurement_error": 1.0e-2,
            },
            "readout_error": 1.0e-2,
            "memory": {"t1_s": 7.0e-3, "t2_s": 7.0e-3},
        },
        link={
            "quantum": {
                "source_rate_hz": 1.0e4,
                "source_fidelity": round(pair_fidelity_from_emitters(0.785), 4),
                "source_efficiency": 0.57,
                "detector_efficiency": 0.9,
                "attenuation_db_per_km": 0.2,
                "wavelength_nm": 1522.0,
                "heralding": "midpoint",
            }
        },
        sources={
            "gates.two_qubit_error": f"{_EVERED}: two-qubit gate fidelity 99.5 % (not verified here)",
            "gates.two_qubit_time_s": f"{_EVERED}: ~250 ns Rydberg gates (not verified here)",
            "gates": "Bluvstein et al., Nature 604, 451 (2022) (the values of topologies/metro.yaml; not "
            "verified here)",
            "readout_error": "Bluvstein et al., Nature 604, 451 (2022) (metro.yaml; not verified here)",
            "memory.t2_s": "van Leent et al., arXiv:2308.08892 (2023), abstract: atomic coherence 7 ms with a "
            "long-lived encoding (verified)",
            "memory.t1_s": "no T1 in the source: T1 = T2 (within the T2 <= 2 T1 bound)",
            "quantum.source_fidelity": f"{_VAN_LEENT_2020}: atom-photon fidelity >= 78.5(9) % after 20 km, "
            "paired (module docs)",
            "quantum.source_efficiency": f"{_VAN_LEENT_2020}: conversion efficiency 57 % (collection not "
            "included: no verified number)",
            "quantum.wavelength_nm": f"{_VAN_LEENT_2020}: 780 nm converted to 1522 nm",
            "quantum.attenuation_db_per_km": _G652,
            "quantum.source_rate_hz": "no verified number: 10 kHz",
            "quantum.detector_efficiency": "no verified number: superconducting nanowire detectors ~0.9",
            "quantum.heralding": "van Leent et al., Nature 607, 69 (2022): heralded atom-atom entanglement "
            "over 33 km by a two-photon Bell measurement",
        },
    ),
}


def preset(name: str) -> Preset:
    """The preset called ``name``; a ``KeyError`` naming the valid ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown hardware preset {name!r} (valid: {', '.join(sorted(PRESETS))})") from None


__all__ = ["PRESETS", "Preset", "pair_fidelity_from_emitters", "preset"]
