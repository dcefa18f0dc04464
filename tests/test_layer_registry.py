"""The engine's layer registry (multinn/engine/layer_registry.py): what `deserialize` finds by
class name, in which order custom objects win, and the error for a name nobody registered."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import multinn
from multinn import layers
from multinn.engine import layer_registry
from multinn.engine.base_layer import Layer
from multinn.engine.layer_registry import deserialize_layer, layer_classes, register_layer, register_layer_namespace
from multinn.models import Model, Sequential
from multinn.utils.generic_utils import CustomObjectScope


@pytest.fixture
def private_registry(monkeypatch):
    """Registrations made by a test stay in the test."""
    monkeypatch.setattr(layer_registry, "_NAMED", dict(layer_registry._NAMED))
    monkeypatch.setattr(layer_registry, "_NAMESPACES", list(layer_registry._NAMESPACES))


class Scale(Layer):
    """A user's layer: multiplies each feature by a trainable factor."""

    def build(self, input_shape):
        self.factor = self.add_weight("factor", shape=(input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.factor


def test_every_layer_class_the_catalogue_exports_is_registered_under_that_name():
    table = layer_classes()
    exported = {name: obj for name, obj in vars(layers).items() if isinstance(obj, type) and issubclass(obj, Layer)}
    assert len(exported) > 90
    assert {name: table.get(name) for name in exported} == exported
    assert table["Convolution2D"] is layers.Conv2D  # aliases by the name they are bound to


def test_the_engine_registers_its_own_classes():
    from multinn.engine.input_layer import InputLayer
    from multinn.engine.network import Network
    from multinn.engine.op_layer import KGradients, KOperation

    table = layer_classes()
    assert table["Model"] is Model and table["Functional"] is Model and table["Sequential"] is Sequential
    assert table["Network"] is Network and table["InputLayer"] is InputLayer and table["Layer"] is Layer
    assert table["KOperation"] is KOperation and table["KGradients"] is KGradients


def test_layers_deserialize_delegates_to_the_registry(private_registry):
    register_layer(Scale, name="RegisteredScale")
    layer = layers.deserialize({"class_name": "RegisteredScale", "config": {"name": "s"}})
    assert type(layer) is Scale and layer.name == "s"
    conv = layers.deserialize({"class_name": "Convolution2D", "config": {"filters": 2, "kernel_size": 3}})
    assert type(conv) is layers.Conv2D and conv.kernel_size == (3, 3)


def test_custom_objects_then_the_scope_win_over_the_registry():
    class Dense(layers.Dense):  # a user's class that shadows a built-in name
        pass

    config = {"class_name": "Dense", "config": {"units": 2}}
    assert type(deserialize_layer(config)) is layers.Dense
    assert type(deserialize_layer(config, custom_objects={"Dense": Dense})) is Dense
    assert type(layers.deserialize(config, custom_objects={"Dense": Dense})) is Dense
    with CustomObjectScope({"Dense": Dense}):
        assert type(layers.deserialize(config)) is Dense

        class Other(layers.Dense):
            pass

        assert type(layers.deserialize(config, custom_objects={"Dense": Other})) is Other
    # custom_objects reach the layers inside a model's config too
    model = Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    rebuilt = layers.deserialize({"class_name": "Sequential", "config": model.get_config()},
                                 custom_objects={"Dense": Dense})
    assert [type(layer) for layer in rebuilt.layers] == [Dense, Dense]


def test_an_unknown_class_name_says_what_was_asked_and_how_to_supply_it():
    with pytest.raises(ValueError) as caught:
        layers.deserialize({"class_name": "Dence", "config": {}})
    message = str(caught.value)
    assert message.startswith("Unknown layer 'Dence'.")
    assert "Did you mean 'Dense'?" in message and "custom_objects={'Dence': Dence}" in message
    assert message.endswith("Received: class_name='Dence'")
    model = Sequential([Scale(input_shape=(2,))])
    with pytest.raises(ValueError, match="Unknown layer 'Scale'.*custom_objects"):
        Sequential.from_config(model.get_config())
    assert type(Sequential.from_config(model.get_config(), custom_objects={"Scale": Scale}).layers[0]) is Scale


def test_register_layer_as_a_decorator_and_its_errors(private_registry):
    @register_layer(name="Scaler")
    class ScaleByName(Scale):
        pass

    @register_layer
    class Plain(Scale):
        pass

    assert layer_classes()["Scaler"] is ScaleByName and layer_classes()["Plain"] is Plain
    with pytest.raises(TypeError, match="expects a layer class. Received: 3"):
        register_layer(3)
    with pytest.raises(TypeError, match="non-empty string name. Received: name=''"):
        register_layer(Scale, name="")


def test_a_registered_namespace_is_read_at_lookup_time(private_registry):
    namespace = {"not_a_layer": 3, "builtin_type": int}
    register_layer_namespace(namespace)
    register_layer_namespace(namespace)
    assert sum(known is namespace for known in layer_registry._NAMESPACES) == 1
    assert "builtin_type" not in layer_classes() and "LateScale" not in layer_classes()
    namespace["LateScale"] = Scale
    assert layer_classes()["LateScale"] is Scale
    with pytest.raises(TypeError, match="mapping of names to objects. Received: \\['Scale'\\]"):
        register_layer_namespace(["Scale"])


def test_a_model_with_a_user_layer_round_trips_its_config(backend_name):
    inputs = layers.Input(shape=(3,))
    model = Model(inputs, layers.Dense(2)(Scale()(inputs)))
    rng = np.random.default_rng(3)
    factor = rng.normal(size=(3,)).astype(np.float32)
    kernel = rng.normal(size=(3, 2)).astype(np.float32)
    bias = rng.normal(size=(2,)).astype(np.float32)
    model.set_weights([factor, kernel, bias])
    rebuilt = Model.from_config(model.get_config(), custom_objects={"Scale": Scale})
    rebuilt.set_weights(model.get_weights())
    x = rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(rebuilt.predict(x), (x * factor) @ kernel + bias, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("first_import", ["multinn.engine", "multinn.engine.training", "multinn.layers.legacy_interfaces"])
def test_the_engine_and_layers_import_in_any_order(first_import):
    """A fresh interpreter whose first import is an engine module still finds the catalogue."""
    code = (f"import {first_import}\n"
            "from multinn.engine.layer_registry import deserialize_layer\n"
            "assert deserialize_layer({'class_name': 'Dense', 'config': {'units': 1}}).units == 1\n"
            "assert deserialize_layer({'class_name': 'Sequential', 'config': {'layers': []}}).layers == []\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=str(pathlib.Path(multinn.__file__).parent.parent))
    assert done.returncode == 0, done.stderr
