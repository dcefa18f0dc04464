"""Keras 2.3.1's `keras.callbacks.callbacks`: the callbacks at that import path."""
from multinn.utils.progbar import Progbar  # noqa: F401

from .callback import Callback, CallbackList  # noqa: F401
from .csv_logger import CSVLogger  # noqa: F401
from .early_stopping import EarlyStopping  # noqa: F401
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau  # noqa: F401
from .loggers import BaseLogger, History, ProgbarLogger  # noqa: F401
from .model_checkpoint import ModelCheckpoint  # noqa: F401
from .remote_monitor import RemoteMonitor  # noqa: F401
from .simple import LambdaCallback, TerminateOnNaN  # noqa: F401
