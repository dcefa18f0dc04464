"""Output shapes of graph nodes without a shape rule, found by running them on stand-ins.

The one shape-inference path for every graph tensor (Input, layer outputs, K calls on them,
K.placeholder graphs): a layer without `compute_output_shape`, and every KOperation (a K call
on graph tensors), runs its `call` under `K.no_grad()` in the test phase on constant inputs
whose unknown (None) dimensions take K's two probe sizes (`PROBE_SIZES`: 2 then 3 on the
first axis, 32 then 48 elsewhere); output dimensions that differ between the two runs are
unknown (None) too. Inputs without unknown dimensions run once. Nothing is recorded, no losses
are added, and the output dtypes seen are kept for the symbolic outputs.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.backend.ops.core import symbolic
from multinn.backend.ops.symbolic import probe_shape
from multinn.compat import add_note


def _dummy(shape: tuple, dtype: str, fill_float: float):
    floating = str(dtype).startswith(("float", "complex"))
    return K.constant(fill_float if floating else 0, dtype=dtype, shape=shape)


def infer_output_shape(
    layer: Any, input_shape: Any, fill_float: float = 0.0, probe: Any = None, explain: bool = True
) -> Any:
    """Runs `layer.call` on constant inputs of the two probe sizes; dimensions that change are None.

    The inputs take the dtypes of the symbolic inputs being connected (else the layer's
    dtype) and hold zeros, or `fill_float` for floating dtypes (0.5 keeps log, sqrt and
    1/(1-x) finite for K calls on graph tensors); the output dtypes are left in
    `layer._inferred_output_dtypes`. `probe(shapes, k)` may choose the stand-in shapes of
    probe k (default: `probe_shape` of each); errors propagate, with a note saying where
    unless `explain` is False (the caller adds its own).
    """
    from .base_layer import to_list
    from .call_state import shape_inference_scope

    multi = isinstance(input_shape, list)
    shapes = [tuple(s) for s in (input_shape if multi else [input_shape])]
    dtypes = getattr(layer, "_symbolic_input_dtypes", None)
    if not dtypes or len(dtypes) != len(shapes):
        dtypes = [layer.dtype or K.floatx()] * len(shapes)
    twin = all(None not in s for s in shapes)  # nothing unknown: one run tells all
    results = []
    with shape_inference_scope():
        for k in (0,) if twin else (0, 1):
            dummy_shapes = probe(shapes, k) if probe is not None else [probe_shape(s, k) for s in shapes]
            xs = [_dummy(s, d, fill_float) for s, d in zip(dummy_shapes, dtypes)]
            kwargs = {"training": False} if "training" in layer._call_fn_args else {}
            with K.no_grad(), K.learning_phase_scope(0), symbolic.probe_scope():
                try:
                    out = layer.call(xs if multi else xs[0], **kwargs)
                except Exception as exc:
                    if explain:
                        _explain(exc, layer, [tuple(x.shape) for x in xs])
                    raise
            outs = to_list(out, allow_tuple=True)
            results.append([tuple(o.shape) for o in outs])
            out_multi = isinstance(out, (list, tuple))
    layer._inferred_output_dtypes = [K.dtype(o) for o in outs]
    if len(results) == 1:
        results.append(results[0])
    for first, second in zip(*results):
        if len(first) != len(second):
            raise ValueError(f"Layer {layer.name!r}: the rank of its output depends on the size of its inputs.")
    merged = [tuple(a if a == b else None for a, b in zip(s2, s3)) for s2, s3 in zip(*results)]
    return merged if out_multi else merged[0]


def _explain(exc: Exception, layer: Any, shapes: list) -> None:
    """Adds where the error happened: inside the dummy run that infers an output shape."""
    note = (
        f"(raised while inferring the output shape of layer {layer.name!r} by calling it on zeros of shape "
        f"{shapes[0] if len(shapes) == 1 else shapes}; a layer can skip this by defining compute_output_shape, "
        "a Lambda by passing output_shape)"
    )
    add_note(exc, note)
