"""Model diagrams (Keras 2.3.1's `keras.utils.vis_utils`): `model_to_dot` builds a pydot graph
of the layers; `plot_model` renders it to a file with Graphviz.

pydot and Graphviz's `dot` program are optional; without them both functions raise an
ImportError that names what is missing (`pip install pydot`, and Graphviz from your system's
packages).
"""
from __future__ import annotations

import os
from typing import Any


def _pydot() -> Any:
    try:
        import pydot
    except ImportError as exc:
        raise ImportError("model_to_dot and plot_model need the pydot package, which is not installed: "
                          "pip install pydot (and Graphviz's `dot` program from your system's packages).") from exc
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception as exc:  # pydot raises FileNotFoundError / OSError without Graphviz
        raise ImportError("model_to_dot and plot_model need Graphviz's `dot` program, which was not found: "
                          "install Graphviz (e.g. apt-get install graphviz) and put `dot` on the PATH.") from exc
    return pydot


def is_model(layer: Any) -> bool:
    """Whether `layer` is a model (a Network).

    Example:
        >>> from multinn.layers import Dense
        >>> is_model(Dense(1))
        False
    """
    from multinn.engine.network import Network

    return isinstance(layer, Network)


def is_wrapped_model(layer: Any) -> bool:
    """Whether `layer` is a wrapper (TimeDistributed, Bidirectional) around a model.

    Example:
        >>> from multinn.layers import Dense, TimeDistributed
        >>> is_wrapped_model(TimeDistributed(Dense(1)))
        False
    """
    inner = getattr(layer, "layer", None)
    return inner is not None and is_model(inner)


def add_edge(dot: Any, src: str, dst: str) -> None:
    """Adds the edge src -> dst to the pydot graph `dot` unless it is there already."""
    if not dot.get_edge(src, dst):
        dot.add_edge(_pydot_module().Edge(src, dst))


def _pydot_module() -> Any:
    import pydot

    return pydot


def _shape_text(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(str(tuple(s)) for s in shape) if len(shape) != 1 else str(tuple(shape[0]))
    return str(tuple(shape)) if shape is not None else "multiple"


def _label(layer: Any, show_shapes: bool, show_layer_names: bool) -> str:
    class_name = type(layer).__name__
    inner = getattr(layer, "layer", None)
    if inner is not None:
        class_name = f"{class_name}({type(inner).__name__})"
    label = f"{layer.name}: {class_name}" if show_layer_names else class_name
    if not show_shapes:
        return label
    try:
        out_text = _shape_text(layer.output_shape)
    except (AttributeError, RuntimeError, ValueError):
        out_text = "multiple"
    try:
        in_text = _shape_text(layer.input_shape)
    except (AttributeError, RuntimeError, ValueError):
        in_text = "multiple"
    return f"{label}\n|{{input:|output:}}|{{{{{in_text}}}|{{{out_text}}}}}"


def _layers_and_edges(model: Any) -> tuple:
    layers = list(model.layers)
    edges = []
    for layer in layers:
        for node in layer._inbound_nodes:
            for inbound in node.inbound_layers:
                if inbound is not None and any(inbound is l for l in layers):
                    edges.append((inbound, layer))
    return layers, edges


def model_to_dot(model: Any, show_shapes: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
                 expand_nested: bool = False, dpi: int = 96, subgraph: bool = False) -> Any:
    """A pydot graph of `model`: one node per layer, edges along the layer graph.

    Args:
        model: the model.
        show_shapes: add input and output shapes to the nodes.
        show_layer_names: add the layer names to the nodes.
        rankdir: 'TB' (top to bottom) or 'LR' (left to right).
        expand_nested: draw nested models (and models inside wrappers) as clusters.
        dpi: dots per inch.
        subgraph: return a pydot Cluster (used for nested models).

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,), name="d1"), Dense(1, name="d2")])
        >>> dot = model_to_dot(model)  # doctest: +SKIP
        >>> sorted(node.get_label() for node in dot.get_nodes() if node.get_label())  # doctest: +SKIP
        ['d1: Dense', 'd2: Dense']
    """
    pydot = _pydot()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")
    layers, edges = _layers_and_edges(model)
    entry, exit_ = {}, {}  # a nested model's first and last node ids, to connect edges to
    for layer in layers:
        node_id = str(id(layer))
        nested = layer if is_model(layer) else getattr(layer, "layer", None) if is_wrapped_model(layer) else None
        if expand_nested and nested is not None:
            cluster = model_to_dot(nested, show_shapes, show_layer_names, rankdir, expand_nested, dpi, subgraph=True)
            dot.add_subgraph(cluster)
            inner_layers = list(nested.layers)
            entry[node_id] = str(id(inner_layers[0]))
            exit_[node_id] = str(id(inner_layers[-1]))
            continue
        dot.add_node(pydot.Node(node_id, label=_label(layer, show_shapes, show_layer_names)))
    for src, dst in edges:
        src_id, dst_id = str(id(src)), str(id(dst))
        add_edge(dot, exit_.get(src_id, src_id), entry.get(dst_id, dst_id))
    return dot


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_layer_names: bool = True,
               rankdir: str = "TB", expand_nested: bool = False, dpi: int = 96) -> Any:
    """Draws `model` to `to_file` (the format from its extension, PNG by default); arguments as
    for `model_to_dot`. In a notebook, returns an IPython Image of the drawing.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> plot_model(multinn.Sequential([Dense(1, input_shape=(3,))]), "model.png")  # doctest: +SKIP
    """
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir, expand_nested, dpi)
    extension = os.path.splitext(os.fspath(to_file))[1][1:] or "png"
    dot.write(os.fspath(to_file), format=extension)
    try:
        from IPython import display

        return display.Image(filename=os.fspath(to_file))
    except ImportError:
        return None
