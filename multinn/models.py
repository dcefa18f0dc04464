"""Models (Keras 2's `keras.models`): Model, Sequential, loading and (de)serialization."""
from multinn.engine.cloning import clone_model  # noqa: F401
from multinn.engine.saving import load_model, model_from_config, model_from_json, save_model  # noqa: F401
from multinn.engine.sequential import Sequential  # noqa: F401
from multinn.engine.training import Model  # noqa: F401
from multinn.engine.input_layer import Input, InputLayer  # noqa: F401  (Keras 2.3.1 re-exports them here)
from multinn.engine.yaml_config import model_from_yaml  # noqa: F401
from multinn.engine.model_files import ModelFileError  # noqa: F401  (what a damaged model file raises)
from multinn.utils.safe_mode import UnsafeCodeError  # noqa: F401  (what a file holding code raises in safe mode)
