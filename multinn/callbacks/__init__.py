"""Callbacks: hooks into training, evaluation and prediction (Keras 2's `keras.callbacks`).

Example:
    >>> from multinn import callbacks
    >>> stop = callbacks.EarlyStopping(monitor="val_loss", patience=3)
    >>> stop.patience
    3
"""
from .callback import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .loggers import BaseLogger, History, ProgbarLogger
from .model_checkpoint import ModelCheckpoint
from .remote_monitor import RemoteMonitor
from .simple import LambdaCallback, TerminateOnNaN
from .tensorboard import TensorBoard

__all__ = [
    "Callback", "CallbackList", "BaseLogger", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
    "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger", "LambdaCallback", "TerminateOnNaN",
    "RemoteMonitor", "TensorBoard",
]
