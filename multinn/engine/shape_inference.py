"""Output shapes of layers without `compute_output_shape`, found by running them on zeros.

The layer's `call` runs twice under `K.no_grad()` in the test phase, on zero batches
whose unknown (None) dimensions are 2 and then 3; output dimensions that differ
between the runs are unknown (None) too. Nothing is recorded, no losses are added,
and the output dtypes seen are kept for the symbolic outputs.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.backend.ops.core import symbolic
from multinn.compat import add_note


def _dummy_shape(shape: tuple, fill: int) -> tuple:
    return tuple(fill if d is None else int(d) for d in shape)


def _dummy(shape: tuple, dtype: str, fill_float: float):
    floating = str(dtype).startswith(("float", "complex"))
    return K.constant(fill_float if floating else 0, dtype=dtype, shape=shape)


def infer_output_shape(layer: Any, input_shape: Any, fill_float: float = 0.0) -> Any:
    """Runs `layer.call` on constant inputs of two batch sizes; dimensions that change are None.

    The inputs take the dtypes of the symbolic inputs being connected (else the layer's
    dtype) and hold zeros, or `fill_float` for floating dtypes (0.5 keeps log, sqrt and
    1/(1-x) finite for K calls on graph tensors); the output dtypes are left in
    `layer._inferred_output_dtypes`.
    """
    from .base_layer import to_list
    from .call_state import shape_inference_scope

    multi = isinstance(input_shape, list)
    shapes = input_shape if multi else [input_shape]
    dtypes = getattr(layer, "_symbolic_input_dtypes", None)
    if not dtypes or len(dtypes) != len(shapes):
        dtypes = [layer.dtype or K.floatx()] * len(shapes)
    results = []
    with shape_inference_scope():
        for fill in (2, 3):
            xs = [_dummy(_dummy_shape(tuple(s), fill), d, fill_float) for s, d in zip(shapes, dtypes)]
            kwargs = {"training": False} if "training" in layer._call_fn_args else {}
            with K.no_grad(), K.learning_phase_scope(0), symbolic.probe_scope():
                try:
                    out = layer.call(xs if multi else xs[0], **kwargs)
                except Exception as exc:
                    _explain(exc, layer, [tuple(x.shape) for x in xs])
                    raise
            outs = to_list(out, allow_tuple=True)
            results.append([tuple(o.shape) for o in outs])
            out_multi = isinstance(out, (list, tuple))
    layer._inferred_output_dtypes = [K.dtype(o) for o in outs]
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
