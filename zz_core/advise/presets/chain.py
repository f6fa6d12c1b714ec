"""The chain: every device drafted, named and snapped to the steps of the chosen naming
scheme, in signal order, with the notes that go with it."""

from __future__ import annotations

import math
from collections.abc import Callable

from zz_core.advise.presets.dynamics import (
    compressor_draft,
    limiter_draft,
    limiter_notes,
    multiband_draft,
    transient_draft,
)
from zz_core.advise.presets.eq import eq_draft
from zz_core.advise.presets.inputs import Draft, Inputs, Value, dynamic_share
from zz_core.advise.presets.table import (
    DEVICE_ORDER,
    DeviceKind,
    DeviceNames,
    NamingScheme,
    ParamSpec,
    PresetChain,
    PresetDevice,
    PresetSetting,
    PresetTable,
    load_preset_table,
)
from zz_core.advise.presets.utility import utility_draft
from zz_core.errors import UnknownOptionError
from zz_core.fmt import number
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.vocab import Naming

# --------------------------------------------------------------------------- rendering


def _snap(value: float, spec: ParamSpec) -> float:
    scaled = value * spec.scale
    if spec.min is not None:
        scaled = max(scaled, spec.min)
    if spec.max is not None:
        scaled = min(scaled, spec.max)
    if spec.steps:
        if scaled > 0 and all(s > 0 for s in spec.steps):
            scaled = min(spec.steps, key=lambda s: abs(math.log(s / scaled)))
        else:
            scaled = min(spec.steps, key=lambda s: abs(s - scaled))
    return round(scaled, spec.digits) if spec.digits else float(round(scaled))


def _snapper(scheme: NamingScheme) -> Callable[[DeviceKind, str, float], float]:
    """Value (internal units) as the device can be set, back in internal units."""
    def snap(kind: DeviceKind, param: str, value: float) -> float:
        spec = scheme.devices[kind].params.get(param)
        return value if spec is None else _snap(value, spec) / spec.scale
    return snap


def _render_value(item: Value, names: DeviceNames) -> PresetSetting | None:
    spec = names.params.get(item.param)
    if spec is None:
        return None
    name = spec.name.replace("{n}", str(item.band or 1))
    if isinstance(item.value, str):
        value: float | str = names.filters.get(item.value, item.value)
        return PresetSetting(name=name, value=value, unit="", note=item.note)
    snapped = _snap(item.value, spec)
    note = item.note
    wanted = item.value * spec.scale
    if spec.steps and not math.isclose(snapped, wanted, rel_tol=0.02, abs_tol=1e-9):
        step = f"nearest step to {wanted:.3g}"
        note = f"{note} ({step})" if note else step
    return PresetSetting(name=name, value=snapped, unit=spec.unit, note=note)


def _render(draft: Draft, scheme: NamingScheme) -> PresetDevice:
    names = scheme.devices[draft.kind]
    settings = [s for s in (_render_value(v, names) for v in draft.values) if s is not None]
    if draft.with_fixed:
        settings += [PresetSetting(name=f.name, value=f.value, unit=f.unit, note=f.note)
                     for f in names.fixed]
    return PresetDevice(kind=draft.kind, device=names.device, purpose=draft.purpose,
                        settings=settings)


# --------------------------------------------------------------------------- the chain


def _chain_notes(inputs: Inputs, drafts: list[Draft]) -> list[str]:
    result = inputs.result
    notes = [f"{inputs.rules.label}, {inputs.label}: starting points derived from this "
             "track's measurements; each note names the figure behind its value. Adjust by ear."]
    if result.channels == 1:
        notes.append("Mono file: width and bass-mono settings do not apply.")
    kinds = {d.kind for d in drafts}
    if "transient" not in kinds and "multiband" not in kinds:
        notes.append("No transient shaper or multiband: the EQ and bus compressor cover what "
                     "was measured.")
    notes += [note for draft in drafts for note in draft.notes]
    notes += limiter_notes(inputs)
    balance = result.stereo.balance_db
    if inputs.has_issue("channel_imbalance") and balance is not None:
        side = "left" if balance > 0 else "right"
        notes.append(f"The {side} channel is {number(abs(balance))} dB louder: fix the panning "
                     "in the mix rather than on the bus.")
    if result.comparison is not None and result.comparison.issues:
        name = result.comparison.reference_name or "the reference"
        shown = " ".join(i.message for i in result.comparison.issues[:3])
        notes.append(f"Against {name}: {shown}")
    return notes


def recommend_presets(result: AnalysisResult, naming: Naming = "generic", *,
                      table: PresetTable | None = None) -> PresetChain:
    """The device chain (signal order) with settings derived from ``result`` and its genre
    targets, named for ``naming`` ("generic" or "ableton"). Deterministic."""
    table = table or load_preset_table()
    if naming not in table.namings:
        raise UnknownOptionError(f"Unknown preset naming {naming!r}; choose one of: "
                                 f"{', '.join(table.namings)}.")
    scheme = table.namings[naming]
    targets, rules = judging_rules(result)
    inputs = Inputs(result, targets, rules, table.rules, _snapper(scheme))
    label = result.genre.display_label
    if result.loudness.integrated_lufs is None:
        return PresetChain(context=result.context, genre_label=label, naming=naming,
                           devices=[], notes=["The track is silent (no audio above -70 LUFS): "
                                              "nothing to set."])
    share = dynamic_share(inputs)
    built = [eq_draft(inputs, share), compressor_draft(inputs), transient_draft(inputs),
             multiband_draft(inputs, share), utility_draft(inputs), limiter_draft(inputs)]
    drafts = sorted((d for d in built if d is not None),
                    key=lambda d: DEVICE_ORDER.index(d.kind))
    return PresetChain(context=result.context, genre_label=label, naming=naming,
                       devices=[_render(d, scheme) for d in drafts],
                       notes=_chain_notes(inputs, drafts))
