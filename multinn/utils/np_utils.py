"""Array helpers of Keras 2's `keras.utils.np_utils`: `to_categorical`."""
from __future__ import annotations

from typing import Any

from multinn import backend as K


def to_categorical(y: Any, num_classes: "int | None" = None, dtype: str = "float32") -> Any:
    """One-hot encodes integer class labels into a NumPy array of shape y.shape + (num_classes,).

    A trailing axis of size 1 is dropped first ((n, 1) labels give (n, num_classes)).

    Args:
        y: class indices from 0 to num_classes - 1 (a list or an array).
        num_classes: the number of classes; max(y) + 1 when None.
        dtype: the output's dtype.

    Example:
        >>> from multinn.utils import to_categorical
        >>> to_categorical([0, 2, 1]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
        >>> to_categorical([[1], [0]], num_classes=3).shape
        (2, 3)
    """
    with K.no_grad():
        labels = K.cast(K.convert_to_tensor(y), "int64")
        shape = tuple(labels.shape)
        if len(shape) > 1 and shape[-1] == 1:
            shape = shape[:-1]
        labels = K.reshape(labels, (-1,))
        if not num_classes:
            num_classes = int(K.max(labels).numpy()) + 1 if int(labels.shape[0]) else 0
        encoded = K.cast(K.one_hot(labels, int(num_classes)), dtype)
        return K.reshape(encoded, shape + (int(num_classes),)).numpy()


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """`x` divided by its `order`-norm along `axis` (a zero norm counts as 1), as a NumPy array.

    Args:
        x: the data (a list or an array).
        axis: the axis along which to normalize.
        order: the norm's order (2: Euclidean, 1: sum of absolute values).

    Example:
        >>> from multinn.utils import normalize
        >>> normalize([[3.0, 4.0], [0.0, 0.0]]).tolist()
        [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
        >>> normalize([[1.0, 3.0]], order=1).tolist()
        [[0.25, 0.75]]
    """
    with K.no_grad():
        data = K.convert_to_tensor(x)
        if not K.dtype(data).startswith("float"):
            data = K.cast(data, K.floatx())
        norm = K.pow(K.sum(K.pow(K.abs(data), order), axis=axis, keepdims=True), 1.0 / order)
        norm = norm + K.cast(K.equal(norm, 0), K.dtype(norm))
        return (data / norm).numpy()
